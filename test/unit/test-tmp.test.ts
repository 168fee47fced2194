// The test runners' per-run temp root (test/test-tmp.mjs): the tests' TMPDIR is a fresh folder,
// removed after a passing run, kept (and named) after a failing one or on request. Real child
// processes write into it, as the tests under the runner do.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { userInfo } from "node:os";
import { runWithTestTmp } from "../test-tmp.mjs";

const base = fs.mkdtempSync(path.join(os.tmpdir(), "expman-test-tmp-"));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A child that makes a temp folder the way tests do, writes into it and reports where. */
const CHILD = `
const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
const ws = fs.mkdtempSync(path.join(os.tmpdir(), "ws-"));
fs.writeFileSync(path.join(ws, "experiment.db"), "x");
fs.writeFileSync(process.env.REPORT, JSON.stringify({ tmp: os.tmpdir(), ws }));
process.exit(Number(process.env.CODE));
`;

async function run(code: number, keep?: boolean) {
  const report = path.join(base, `report-${code}-${keep}.json`);
  const logs: string[] = [];
  const status = await runWithTestTmp("probe", process.execPath, ["-e", CHILD], {
    base,
    keep,
    env: { REPORT: report, CODE: String(code) },
    log: (m) => logs.push(m),
  });
  const { tmp, ws } = JSON.parse(fs.readFileSync(report, "utf8")) as { tmp: string; ws: string };
  return { status, tmp, ws, logs };
}

test("a passing run's temp folders are inside its own root, and the root is removed", async () => {
  const { status, tmp, ws, logs } = await run(0, false);
  assert.equal(status, 0);
  assert.equal(path.dirname(tmp), base, "the child's os.tmpdir() is a fresh folder under the base");
  assert.match(path.basename(tmp), /^expman-probe-run-/);
  assert.equal(path.dirname(ws), tmp, "the child's mkdtemp landed in the run's root");
  assert.equal(fs.existsSync(tmp), false, "the root is gone after the run");
  assert.deepEqual(logs, []);
});

test("a failing run keeps its root, with what the tests wrote, and prints its path", async () => {
  const { status, tmp, ws, logs } = await run(3, false);
  assert.equal(status, 3, "the child's exit status is passed on");
  assert.equal(fs.readFileSync(path.join(ws, "experiment.db"), "utf8"), "x");
  assert.equal(logs.length, 1);
  assert.ok(logs[0].includes(tmp) && /failed/.test(logs[0]), logs[0]);
});

test("keep (EXPMAN_KEEP_TEST_TMP=1) keeps a passing run's root", async () => {
  const { status, tmp, logs } = await run(0, true);
  assert.equal(status, 0);
  assert.ok(fs.existsSync(tmp));
  assert.ok(logs[0].includes(tmp) && /EXPMAN_KEEP_TEST_TMP/.test(logs[0]), logs[0]);
});

test("the shared tsx compile cache is linked in, and survives the root's removal", async () => {
  const cache = path.join(base, `tsx-${userInfo().uid}`);
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(path.join(cache, "compiled.js"), "cached");
  const { tmp } = await run(0, false);
  assert.equal(fs.existsSync(tmp), false);
  assert.equal(fs.readFileSync(path.join(cache, "compiled.js"), "utf8"), "cached");
});

test("EXPMAN_KEEP_TEST_TMP=1 in the environment is the default for keep", async () => {
  const report = path.join(base, "report-env.json");
  const logs: string[] = [];
  const saved = process.env.EXPMAN_KEEP_TEST_TMP;
  process.env.EXPMAN_KEEP_TEST_TMP = "1";
  try {
    await runWithTestTmp("probe", process.execPath, ["-e", CHILD], {
      base,
      env: { REPORT: report, CODE: "0" },
      log: (m) => logs.push(m),
    });
  } finally {
    if (saved === undefined) delete process.env.EXPMAN_KEEP_TEST_TMP;
    else process.env.EXPMAN_KEEP_TEST_TMP = saved;
  }
  const { tmp } = JSON.parse(fs.readFileSync(report, "utf8")) as { tmp: string };
  assert.ok(fs.existsSync(tmp), "kept");
});
