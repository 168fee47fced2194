import type { SqlDb } from "../tracking/db/sql";
import { WriterLiveness } from "../tracking/db/liveness";
import { openStoreForWriting } from "../tracking/db/connection";

/**
 * Runs whose process died without ending them (SIGKILL, power loss, OOM killer) stay RUNNING
 * in the file. Each experiment row records its writer's pid and host; on the same host, a
 * RUNNING entity whose writer is gone is reported ABORTED, and `recoverStale` writes that.
 */

export { pidAlive, WriterLiveness, type WriterInfo } from "../tracking/db/liveness";

export interface RecoveryReport {
  experiments: number;
  trials: number;
  runs: number;
  epochs: number;
}

/**
 * Marks ABORTED, in the file, every RUNNING experiment whose writer is gone (its heartbeat
 * stopped, or on this host its process is gone), with its RUNNING trials, runs and epochs. The end time is the last time anything of
 * the experiment was written. Returns how many rows of each kind changed.
 */
export function recoverStale(dbPath: string): RecoveryReport {
  const db = openStoreForWriting(dbPath);
  try {
    return recoverStaleIn(db);
  } finally {
    db.close();
  }
}

/** recoverStale on an open writable connection (a new writer does it when it opens a file). */
export function recoverStaleIn(db: SqlDb): RecoveryReport {
  const report: RecoveryReport = { experiments: 0, trials: 0, runs: 0, epochs: 0 };
  {
    const live = new WriterLiveness();
    const candidates = db
      .prepare("SELECT id, status, pid, host, start_time, heartbeat FROM experiment WHERE status = 'RUNNING'")
      .all() as {
      id: number;
      status: string;
      pid: number | null;
      host: string | null;
      start_time: number;
      heartbeat: number | null;
    }[];
    const lastTime = db.prepare(
      `SELECT max(t) AS t FROM (
         SELECT max(last_time) AS t FROM series WHERE experiment_id = :id
         UNION ALL SELECT max(coalesce(p.end_time, p.start_time)) FROM epoch p JOIN trial_run r ON r.id = p.run_id JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id
         UNION ALL SELECT max(coalesce(r.end_time, r.start_time)) FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id) AS times`,
    );
    const runsOf = "SELECT r.id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id";
    const abortEpochs = db.prepare(
      `UPDATE epoch SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status = 'RUNNING' AND run_id IN (${runsOf})`,
    );
    const abortRuns = db.prepare(
      `UPDATE trial_run SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status IN ('RUNNING','QUEUED') AND id IN (${runsOf})`,
    );
    const abortTrials = db.prepare(
      "UPDATE trial SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status = 'RUNNING' AND experiment_id = :id",
    );
    const abortExperiment = db.prepare(
      "UPDATE experiment SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE id = :id AND status = 'RUNNING'",
    );
    db.transaction(() => {
      for (const e of candidates) {
        if (!live.writerGone(e)) continue;
        const t = (lastTime.get({ id: e.id }) as { t: number | null }).t ?? e.start_time;
        report.epochs += abortEpochs.run({ id: e.id, t }).changes;
        report.runs += abortRuns.run({ id: e.id, t }).changes;
        report.trials += abortTrials.run({ id: e.id, t }).changes;
        report.experiments += abortExperiment.run({ id: e.id, t }).changes;
      }
    }).immediate();
  }
  return report;
}
