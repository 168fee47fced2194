import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { dbRun } from "./helpers/db";
import { EXPMAN } from "./helpers/cli";

test("expman export piped into a reader that stops early (| head): no EPIPE stack trace, exit 0", async () => {
  // 20000 batch points: far more CSV than a pipe holds (64 KiB), so export is still writing when the reader goes.
  const { root, run } = dbRun("pipe.db");
  run.onCreate(Level.EPOCH, 0);
  for (let b = 0; b < 20_000; b++) run.track(Metric.TRAIN_LOSS, 1 / (b + 1), b);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();

  const child = spawn(process.execPath, [EXPMAN, "export", "1", "--db", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // Like `head -1`: read the first chunk, then close the pipe.
  const first = await new Promise<string>((resolve) => child.stdout.once("data", (d) => resolve(String(d))));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  assert.match(first, /^key,scope,step,value,time/);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|\n\s+at /, stderr);
  assert.equal(code, 0, stderr);
});
