import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterWatch } from "../src/executors/cluster-watch";
import { tempDir } from "./helpers/env";

/**
 * How often the query service asks the cluster (issue 10.2: `expman serve` reconciles Slurm
 * runs as `expman ls` does, bounded). The reconcile itself is the real one in test/slurm
 * (slurm-pg.test.ts, against a real cluster); here it is counted, with a clock the test moves.
 */

function watch(open: boolean | (() => boolean), options: { waitMs?: number; delayMs?: number } = {}) {
  let clock = 1_000_000;
  const calls: string[] = [];
  const w = new ClusterWatch({
    intervalMs: 5000,
    waitMs: options.waitMs ?? 3000,
    now: () => clock,
    reconcile: async (target) => {
      calls.push(target);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      return { open: typeof open === "function" ? open() : open };
    },
  });
  return { w, calls, advance: (ms: number) => (clock += ms) };
}

const PG = "postgresql://u:p@127.0.0.1:1/db";

test("a store with open Slurm runs is reconciled at most once per interval, however often it is queried", async () => {
  const { w, calls, advance } = watch(true);
  for (let i = 0; i < 10; i++) await w.before(PG);
  assert.equal(calls.length, 1);
  advance(4999);
  await w.before(PG);
  assert.equal(calls.length, 1);
  advance(2);
  await w.before(PG);
  assert.equal(calls.length, 2);
});

test("queries during a reconcile join it; a slow one holds a query only up to the wait bound", async () => {
  const { w, calls } = watch(true, { waitMs: 50, delayMs: 400 });
  const t0 = Date.now();
  await Promise.all([w.before(PG), w.before(PG), w.before(PG)]);
  assert.equal(calls.length, 1, "one reconcile in flight per store");
  const waited = Date.now() - t0;
  assert.ok(waited < 350, `answered after the 50 ms bound, not the 400 ms reconcile (${waited} ms)`);
});

test("a SQLite file without open Slurm runs is not looked into again until it changes", async () => {
  const file = path.join(tempDir("cluster-watch-"), "experiment.db");
  fs.writeFileSync(file, "v1");
  let open = false;
  const { w, calls, advance } = watch(() => open);
  await w.before(file);
  advance(60_000);
  await w.before(file);
  assert.equal(calls.length, 1, "unchanged and quiet: not reconciled again");
  fs.writeFileSync(file, "v2, with a Slurm plan");
  open = true;
  advance(5001);
  await w.before(file);
  assert.equal(calls.length, 2, "changed: looked at again");
  advance(5001);
  await w.before(file);
  assert.equal(calls.length, 3, "open runs: looked at every interval even when the file does not change");
});

test("a failed reconcile is reported once, and the store is looked at less often after it", async () => {
  let clock = 0;
  const calls: number[] = [];
  const warnings: string[] = [];
  const w = new ClusterWatch({
    intervalMs: 5000,
    now: () => clock,
    warn: (m) => warnings.push(m),
    reconcile: async () => {
      calls.push(clock);
      throw new Error("locked");
    },
  });
  await w.before(PG);
  clock += 5001;
  await w.before(PG);
  assert.equal(calls.length, 1, "backed off: the next look comes after 10 s, not 5 s");
  clock += 5000;
  await w.before(PG);
  assert.equal(calls.length, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: locked/, "password masked");
});
