// The generated client against a real server (started by contract.sh; WATI_BASE_URL).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWatiClient, WatiError } from "../dist/client.js";
import { png } from "./png.mjs";

const baseUrl = process.env.WATI_BASE_URL;
if (!baseUrl) throw new Error("WATI_BASE_URL is not set: run ./contract.sh check");
const photo = { bytes: png(64, 48), name: "photo.png" };

async function newUser() {
  const email = `ts-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const session = await createWatiClient({ baseUrl }).register({ email, password: "correct horse battery", display_name: "TS" });
  return createWatiClient({ baseUrl, token: session.data.access_token });
}

test("register, call gfpgan and read the balance", async () => {
  const user = await newUser();
  const before = await user.credits();
  assert.equal(before.data.balance, "10");

  const answer = await user.gfpgan(photo, { scale: 2, version: "1.4" });
  assert.ok("key" in answer.data && answer.data.key.startsWith("gfpgan/s2-v1.4/"));
  assert.equal(answer.meta.scale, 2);
  assert.equal(answer.meta.requestId, answer.requestId);
  assert.equal(answer.creditsCharged, "1");
  const file = await fetch(answer.data.url);
  assert.equal(file.status, 200);

  assert.equal((await user.credits()).data.balance, "9");
});

test("an async call answers a job that waitForJob polls to its result", async () => {
  const user = await newUser();
  const accepted = await user.gfpgan(photo, { scale: 1 }, { async: true });
  assert.ok("state" in accepted.data);
  const done = await user.waitForJob(accepted.data.job_id);
  assert.equal(done.data.state, "succeeded");
  assert.equal(done.meta.job_id, accepted.data.job_id);
  assert.equal(typeof done.data.url, "string");
});

test("a call over the balance is a typed INSUFFICIENT_BALANCE", async () => {
  const user = await newUser();
  await assert.rejects(
    user.iclight(photo, { prompt: "soft window light", number_of_images: 12 }),
    (e) => e instanceof WatiError && e.code === "INSUFFICIENT_BALANCE" && e.status === 402 && e.requestId.length > 0,
  );
  assert.equal((await user.credits()).data.balance, "10");
});

test("a bad token is a typed UNAUTHENTICATED", async () => {
  const stranger = createWatiClient({ baseUrl, token: "not-a-token" });
  await assert.rejects(stranger.credits(), (e) => e instanceof WatiError && e.code === "UNAUTHENTICATED" && e.status === 401);
});
