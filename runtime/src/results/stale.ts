import * as os from "node:os";
import { openForWriting } from "../tracking/db/connection";

/**
 * Runs whose process died without ending them (SIGKILL, power loss, OOM killer) stay RUNNING
 * in the file. Each experiment row records its writer's pid and host; on the same host, a
 * RUNNING entity whose writer is gone is reported ABORTED, and `recoverStale` writes that.
 */

export interface WriterInfo {
  status: string;
  pid: number | null;
  host: string | null;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, not ours). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Memoises liveness per pid for the span of one query. */
export class WriterLiveness {
  private readonly host = os.hostname();
  private readonly cache = new Map<number, boolean>();

  /** True when the writer of this experiment certainly stopped (same host, pid gone). */
  writerGone(writer: WriterInfo): boolean {
    if (writer.pid === null || writer.host !== this.host) return false;
    let alive = this.cache.get(writer.pid);
    if (alive === undefined) {
      alive = pidAlive(writer.pid);
      this.cache.set(writer.pid, alive);
    }
    return !alive;
  }

  /**
   * The status to show for an entity of this experiment: RUNNING becomes ABORTED when the
   * writer is gone, or when the experiment itself already ended (its writer closed without
   * ending this entity).
   */
  effective(status: string, writer: WriterInfo, isExperiment = false): string {
    // A planned run (QUEUED) waits for its experiment's coordinator: gone, it never starts.
    if (status !== "RUNNING" && !(status === "QUEUED" && !isExperiment)) return status;
    if (!isExperiment && writer.status !== "RUNNING") return "ABORTED";
    return this.writerGone(writer) ? "ABORTED" : status;
  }
}

export interface RecoveryReport {
  experiments: number;
  trials: number;
  runs: number;
  epochs: number;
}

/**
 * Marks ABORTED, in the file, every RUNNING experiment of this host whose writer process is
 * gone, with its RUNNING trials, runs and epochs. The end time is the last time anything of
 * the experiment was written. Returns how many rows of each kind changed.
 */
export function recoverStale(dbPath: string): RecoveryReport {
  const db = openForWriting(dbPath);
  const report: RecoveryReport = { experiments: 0, trials: 0, runs: 0, epochs: 0 };
  try {
    const live = new WriterLiveness();
    const candidates = db.prepare("SELECT id, status, pid, host, start_time FROM experiment WHERE status = 'RUNNING'").all() as {
      id: number;
      status: string;
      pid: number | null;
      host: string | null;
      start_time: number;
    }[];
    const lastTime = db.prepare(
      `SELECT max(t) AS t FROM (
         SELECT max(last_time) AS t FROM series WHERE experiment_id = :id
         UNION ALL SELECT max(coalesce(p.end_time, p.start_time)) FROM epoch p JOIN trial_run r ON r.id = p.run_id JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id
         UNION ALL SELECT max(coalesce(r.end_time, r.start_time)) FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id)`,
    );
    const runsOf = "SELECT r.id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = :id";
    const abortEpochs = db.prepare(`UPDATE epoch SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status = 'RUNNING' AND run_id IN (${runsOf})`);
    const abortRuns = db.prepare(`UPDATE trial_run SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status IN ('RUNNING','QUEUED') AND id IN (${runsOf})`);
    const abortTrials = db.prepare("UPDATE trial SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE status = 'RUNNING' AND experiment_id = :id");
    const abortExperiment = db.prepare("UPDATE experiment SET status = 'ABORTED', end_time = coalesce(end_time, :t) WHERE id = :id AND status = 'RUNNING'");
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
  } finally {
    db.close();
  }
  return report;
}
