import * as os from "node:os";
import { pidAlive } from "../results/stale";
import type { DBTracker } from "../tracking/db/db-tracker";

/**
 * Resume (`expman run <dir> --resume`): continue the latest experiment of a config folder.
 * Runs that ended SUCCESS or STOPPED are kept; FAILED, ABORTED, QUEUED and SKIPPED runs (and
 * RUNNING ones whose process is gone) run again, from their last checkpoint when the pipeline
 * implements `resume(checkpointPath)`.
 */

/** Statuses a resume keeps. */
const KEPT = new Set(["SUCCESS", "STOPPED", "FINISHED"]);

/** Why there is nothing to resume: no experiment of that folder (`none`), or it is complete (`done`). */
export class NothingToResumeError extends Error {
  constructor(
    readonly reason: "none" | "done" | "running" | "no-store",
    message: string,
  ) {
    super(message);
    this.name = "NothingToResumeError";
  }
}

export interface Resumable {
  experimentUid: string;
  /** Run uids to run again, as stored. */
  rerun: Set<string>;
  kept: number;
}

/** Finds what `--resume` continues in this store, or throws NothingToResumeError saying why not. */
export function findResumable(stores: DBTracker[], configDir: string): Resumable {
  const store = stores[0];
  if (!store)
    throw new NothingToResumeError(
      "no-store",
      `--resume: env.yaml in ${configDir} configures no DBTracker, so there is no record of earlier runs to continue. Add a DBTracker, or run without --resume.`,
    );
  const latest = store.latestExperimentOf(configDir);
  if (!latest)
    throw new NothingToResumeError(
      "none",
      `--resume: ${store.path} holds no experiment run from ${configDir}: nothing to resume. Run it without --resume first.`,
    );
  if (latest.status === "RUNNING" && latest.pid !== null && latest.host === os.hostname() && pidAlive(latest.pid)) {
    throw new NothingToResumeError(
      "running",
      `--resume: experiment '${latest.title}' is still running (process ${latest.pid}); stop it first or wait for it to end.`,
    );
  }
  const runs = store.runStatuses(latest.uid);
  const rerun = new Set(runs.filter((r) => !KEPT.has(r.status)).map((r) => r.uid));
  if (rerun.size === 0) {
    throw new NothingToResumeError(
      "done",
      `--resume: nothing to resume: all ${runs.length} run(s) of experiment '${latest.title}' (id ${latest.id}) ended SUCCESS or STOPPED.`,
    );
  }
  return { experimentUid: latest.uid, rerun, kept: runs.length - rerun.size };
}
