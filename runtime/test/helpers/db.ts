import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Level } from "../../src/common/enums";
import { DBTracker } from "../../src/tracking/db/db-tracker";
import { TrackerManager } from "../../src/tracking/tracker-manager";

/**
 * A real DBTracker behind a TrackerManager, with an experiment, one trial and one trial run
 * created, as the Trial builds them: what most database tests start from.
 */
export function dbRun(fileName: string, title = "test") {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "db-run-"));
  const root = new TrackerManager(ws);
  const tracker = new DBTracker(ws, { name: fileName });
  root.addTracker(tracker, "DBTracker");
  root.onCreate(Level.EXPERIMENT, title);
  const trial = root.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(ws);
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  return { ws, root, tracker, trial, run };
}
