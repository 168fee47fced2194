import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { Environment } from "../../src/env/environment";
import { Level } from "../../src/common/enums";
import { TrackerManager } from "../../src/tracking/tracker-manager";
import { RecordingTracker } from "./recording-tracker";

export function tempDir(prefix = "expman-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A maker of temp folders, all removed after the calling test file's tests. */
export function tempDirs(prefix: string): () => string {
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return () => {
    const dir = tempDir(prefix);
    made.push(dir);
    return dir;
  };
}

/**
 * A trial-run environment with a recording tracker, as the Trial builds it: root, trial and
 * run managers, with the run's TRIAL_RUN created and started. Returns the event trace.
 */
export function runEnvironment(): { env: Environment; recorder: RecordingTracker; events: string[] } {
  const ws = tempDir();
  const recorder = new RecordingTracker(ws);
  const tm = new TrackerManager(ws, { report: () => {} });
  tm.addTracker(recorder, "Recording");
  const root = new Environment(ws, {}, { trackerManager: tm });
  tm.onCreate(Level.EXPERIMENT, "exp");
  const trial = root.createChild("t", { level: Level.TRIAL });
  trial.trackerManager.onCreate(Level.TRIAL, "t");
  const env = trial.createChild("t-0", { level: Level.TRIAL_RUN });
  env.trackerManager.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  recorder.events.length = 0;
  return { env, recorder, events: recorder.events };
}
