import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXPMAN, toyConfig } from "./helpers/cli";
import { tempDir } from "./helpers/env";

/**
 * A stand-in for the shell or the extension host around `expman run`: the leader of its own
 * process group (spawned detached), it records every signal it receives, starts `expman run`
 * in the same group (not detached) with a PATH that has no nvidia-smi, and prints what it saw.
 */
const PARENT = `
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const [expman, dir, pathDir] = process.argv.slice(2);
const signals = [];
for (const s of ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"]) process.on(s, () => signals.push(s));
const child = spawn(process.execPath, [expman, "run", dir], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PATH: pathDir } });
const pgrp = (pid) => Number(fs.readFileSync("/proc/" + pid + "/stat", "utf8").split(") ")[1].split(" ")[2]);
const sameGroup = pgrp(child.pid) === pgrp(process.pid) && pgrp(process.pid) === process.pid;
let out = "", err = "";
child.stdout.on("data", (d) => (out += d));
child.stderr.on("data", (d) => (err += d));
child.on("exit", (code, signal) => {
  // Signals are delivered asynchronously: give a late one time to arrive.
  setTimeout(() => { process.stdout.write(JSON.stringify({ code, signal, signals, sameGroup, out, err })); process.exit(0); }, 300);
});
`;

test("expman run with PerformanceTracker and no nvidia-smi signals no process it did not start (its process group stays untouched)", async () => {
  const { dir, workspace } = toyConfig({
    epochs: 3,
    env: `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: PerformanceTracker\n    monitoring_interval: 0.05\n  - type: DBTracker\n    name: experiment.db\n`,
  });
  const emptyPath = tempDir("expman-nopath-");
  const parentFile = path.join(tempDir("expman-pgrp-"), "parent.js");
  fs.writeFileSync(parentFile, PARENT);
  const parent = spawn(process.execPath, [parentFile, EXPMAN, dir, emptyPath], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  parent.stdout!.on("data", (d) => (out += d));
  parent.stderr!.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => parent.on("exit", (c) => resolve(c)));
  assert.equal(code, 0, err);
  const r = JSON.parse(out) as {
    code: number;
    signal: string | null;
    signals: string[];
    sameGroup: boolean;
    out: string;
    err: string;
  };
  assert.ok(r.sameGroup, "expman ran in the parent's process group, which the parent leads");
  assert.deepEqual(r.signals, [], "no signal reached the process group around expman");
  assert.equal(r.signal, null, "expman itself was not killed by a signal");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /SUCCESS/);
  assert.doesNotMatch(r.out + r.err, /nvidia|gpu/i, "a missing GPU tool is silent: no GPU");
  // The tracker ran: it wrote its summary files, without GPU data.
  const summary = JSON.parse(
    fs.readFileSync(path.join(workspace, "a", "a-0", "artifacts", "summary_trial_run.json"), "utf8"),
  );
  assert.equal(summary.gpu, undefined);
});
