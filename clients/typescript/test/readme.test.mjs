// The README's curl walk-through, run as written against the server contract.sh started: its bash
// blocks from "A first walk with curl" to the next "## " section, in order, in one shell. Only the
// base URL line is pointed at this server. Every call's status is recorded; the walk passes when
// nothing answers 5xx, nothing answers 4xx except the lines the README marks "# 401", and those do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { png } from "./png.mjs";

const baseUrl = process.env.WATI_BASE_URL;
const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

function walkThrough() {
  const start = readme.indexOf("## A first walk with curl");
  const end = readme.indexOf("\n## ", start + 5);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
}

test("the README's curl walk-through runs as written", () => {
  const script = walkThrough();
  assert.match(script, /^B=http:\/\/localhost:7071$/m, "the walk-through starts from the documented address");
  const expected401 = script.split("\n").filter((line) => /curl .*# 401\b/.test(line)).length;
  assert.ok(expected401 >= 1, "the walk-through shows the revoked key failing");

  const dir = mkdtempSync(join(tmpdir(), "wati-readme-"));
  for (const [name, w, h] of [["photo.jpg", 320, 240], ["person.png", 200, 300], ["beach.jpg", 400, 300]]) writeFileSync(join(dir, name), png(w, h));
  const statuses = join(dir, "statuses.log");
  const prelude = [
    "set -euo pipefail",
    // Records each call's status on the side; the answers themselves go where the README sends them.
    `curl() { command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\\n' "$@" 2>>${JSON.stringify(statuses)}; }`,
  ].join("\n");
  const runnable = script.replace(/^B=http:\/\/localhost:7071$/m, `B=${baseUrl}`);
  const output = execFileSync("bash", ["-c", `${prelude}\n${runnable}`], { cwd: dir, encoding: "utf8", timeout: 240_000 });

  const calls = readFileSync(statuses, "utf8").trim().split("\n").map((line) => {
    const [status, method, url] = line.split(" ");
    return { status: Number(status), method, url };
  });
  const curlLines = script.split("\n").filter((line) => /(^|\$\()curl /.test(line.trim()) || /\$\(curl /.test(line)).length;
  // Polling loops may call more than once; every curl line ran at least once.
  assert.ok(calls.length >= curlLines, `every curl of the walk-through ran (${calls.length} calls, ${curlLines} lines):\n${output}`);
  assert.deepEqual(calls.filter((c) => c.status >= 500), [], "no call answers 5xx");
  assert.deepEqual(calls.filter((c) => c.status >= 400 && c.status !== 401), [], `no unexpected 4xx:\n${output}`);
  assert.equal(calls.filter((c) => c.status === 401).length, expected401, "exactly the marked calls answer 401");
  assert.match(output, /"balance":"\d+"/);
  assert.match(output, /"id":"led_/);
  assert.match(output, /"idempotent_replay":true/);
});
