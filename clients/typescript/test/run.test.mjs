// ./run.sh on a taken port: one clear line naming the setting, no stack trace (README, "The two commands").
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("a port already in use ends the server with one line naming --urls", () => {
  const baseUrl = process.env.WATI_BASE_URL; // the server contract.sh started holds this port
  const dll = new URL("../../../server/bin/Release/net10.0/Wati.Server.dll", import.meta.url).pathname;
  const run = spawnSync("dotnet", [dll, "--urls", baseUrl], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, Wati__DataDir: mkdtempSync(join(tmpdir(), "wati-port-")) },
  });
  assert.equal(run.status, 2, `exit code 2 expected:\n${run.stdout}\n${run.stderr}`);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /already in use; choose another address with --urls/);
  assert.doesNotMatch(run.stdout + run.stderr, /\s+at \w/);
});
