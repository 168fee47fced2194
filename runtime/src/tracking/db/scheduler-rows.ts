import type { RunStatusName } from "../../common/vocabulary";
import type { SqlDb } from "./sql";
import type { WriterParts } from "./writer-parts";

/**
 * Run ends that the run's own process did not write, and the experiment's end derived from its
 * runs: a coordinator ending a crashed worker's run, a scheduler (executors/slurm.ts) taking an
 * experiment over and giving its final word on a task, and whoever ends the last run settling
 * the experiment.
 */

/** A run in a scheduler's hands (see schedulerRuns). */
export interface SchedulerRun {
  uid: string;
  experimentUid: string;
  status: RunStatusName;
  jobId: string;
  runIndex: number | null;
}

/** A run ended from outside: its epochs still RUNNING end with it. */
function endOpenEpochs(db: SqlDb, runId: number, status: RunStatusName, time: number): void {
  db.prepare("UPDATE epoch SET status = ?, end_time = ? WHERE run_id = ? AND status = 'RUNNING'").run(
    status,
    time,
    runId,
  );
}

/**
 * Ends a run that its own process could not end (the worker crashed, was killed, or never
 * started): only if it is still QUEUED or RUNNING, so a status the run wrote itself wins.
 * Returns the run's status after that and whether this call set it (undefined: no such run).
 */
export function endRunIfOpen(
  w: WriterParts,
  uid: string,
  status: RunStatusName,
  time: number,
  message: string | null,
): { status: RunStatusName; changed: boolean } | undefined {
  const run = w.rows.runRow(uid, undefined, undefined, false);
  if (!run) return undefined;
  let now: { status: RunStatusName; changed: boolean } | undefined;
  w.gate.waiting(() =>
    w.db
      .transaction(() => {
        const changed =
          w.db
            .prepare(
              "UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(?, error_message) WHERE id = ? AND status IN ('QUEUED','RUNNING')",
            )
            .run(status, time, message, run.id).changes > 0;
        if (changed) endOpenEpochs(w.db, run.id, status, time);
        now = {
          status: (w.db.prepare("SELECT status FROM trial_run WHERE id = ?").get(run.id) as { status: RunStatusName })
            .status,
          changed,
        };
      })
      .immediate(),
  );
  return now;
}

/** Each submitted run's scheduler task (Slurm: `<array job>_<index>`), once the job is accepted. */
export function setJobIds(w: WriterParts, jobs: readonly { uid: string; jobId: string }[]): void {
  const stmt = w.db.prepare("UPDATE trial_run SET job_id = ? WHERE uid = ?");
  w.gate.waiting(() =>
    w.db
      .transaction(() => {
        for (const j of jobs) stmt.run(j.jobId, j.uid);
      })
      .immediate(),
  );
}

/**
 * The experiment is in a scheduler's hands now: it has no writer process of its own (pid, host
 * and heartbeat cleared), so readers do not take this process's exit for its end, and closing
 * here leaves it RUNNING. Its tasks write their runs; the last one (or whoever reads the
 * scheduler's final states) settles it.
 */
export function handOver(w: WriterParts, experimentUid: string, executor: string): void {
  const id = w.rows.experimentId(experimentUid, false);
  if (id === undefined) return;
  w.flush(() =>
    w.db
      .prepare("UPDATE experiment SET pid = NULL, host = NULL, heartbeat = NULL, executor = ? WHERE id = ?")
      .run(executor, id),
  );
  const i = w.rows.createdExperiments.indexOf(id);
  if (i >= 0) w.rows.createdExperiments.splice(i, 1);
}

/**
 * Runs a scheduler holds whose end may be the scheduler's to tell: still QUEUED or RUNNING,
 * or ended ABORTED without a message within the last day (a SIGTERM from a time limit).
 */
export function schedulerRuns(w: WriterParts, executor: string, experimentUid?: string): SchedulerRun[] {
  return w.db
    .prepare(
      `SELECT r.uid, e.uid AS experimentUid, r.status, r.job_id AS jobId, r.run_index AS runIndex
         FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id
         WHERE e.executor = ? AND (? IS NULL OR e.uid = ?) AND r.job_id IS NOT NULL
           AND (r.status IN ('QUEUED','RUNNING') OR (r.status = 'ABORTED' AND r.error_message IS NULL AND r.end_time > ?))
         ORDER BY r.id`,
    )
    .all(executor, experimentUid ?? null, experimentUid ?? null, Date.now() - 86_400_000) as SchedulerRun[];
}

/**
 * A scheduler's final word on a run that did not end itself: ends it if it is still QUEUED or
 * RUNNING; with `overAborted`, also one that ended itself ABORTED on the scheduler's SIGTERM
 * (a time limit reads FAILED TIMEOUT, not stopped). Returns whether it changed the run.
 */
export function endRunByScheduler(
  w: WriterParts,
  uid: string,
  status: RunStatusName,
  time: number,
  message: string,
  options: { overAborted?: boolean } = {},
): boolean {
  const run = w.rows.runRow(uid, undefined, undefined, false);
  if (!run) return false;
  const from = options.overAborted ? "('QUEUED','RUNNING','ABORTED')" : "('QUEUED','RUNNING')";
  let changed = false;
  w.gate.waiting(() =>
    w.db
      .transaction(() => {
        changed =
          w.db
            .prepare(
              `UPDATE trial_run SET status = ?, end_time = coalesce(end_time, ?), error_message = ? WHERE id = ? AND status IN ${from}`,
            )
            .run(status, time, message, run.id).changes > 0;
        if (changed) endOpenEpochs(w.db, run.id, status, time);
      })
      .immediate(),
  );
  return changed;
}

/**
 * Sets the status of the experiment's trials and of the experiment from their runs, once none
 * is QUEUED or RUNNING any more: ABORTED if one was, else FAILED if one failed, else SUCCESS.
 * `aborted`/`failed` (the coordinator was stopped / hit an error of its own) end the
 * experiment that way even with runs left open. Whichever process ends the last run settles.
 */
export function settle(
  w: WriterParts,
  experimentUid: string,
  time: number,
  options: { aborted?: boolean; error?: { message?: string; stack?: string } | null } = {},
): RunStatusName | undefined {
  const id = w.rows.experimentId(experimentUid, false);
  if (id === undefined) return undefined;
  let result: RunStatusName | undefined;
  w.flush(() => {
    // CASE rather than sum(<boolean>): portable to PostgreSQL (see ../pg/dialect.ts).
    const count = (cond: string) => `sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
    const rank = `CASE WHEN ${count("r.status IN ('QUEUED','RUNNING')")} > 0 THEN 'RUNNING' WHEN ${count("r.status = 'ABORTED'")} > 0 THEN 'ABORTED'
                    WHEN ${count("r.status = 'FAILED'")} > 0 THEN 'FAILED' ELSE 'SUCCESS' END`;
    const trials = w.db
      .prepare(
        `SELECT t.id, ${rank} AS status, max(r.end_time) AS end_time FROM trial t LEFT JOIN trial_run r ON r.trial_id = t.id WHERE t.experiment_id = ? GROUP BY t.id`,
      )
      .all(id) as { id: number; status: RunStatusName; end_time: number | null }[];
    for (const t of trials) if (t.status !== "RUNNING") w.st.endTrial.run(t.status, t.end_time ?? time, t.id);
    const all = w.db
      .prepare(`SELECT ${rank} AS status FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = ?`)
      .get(id) as { status: RunStatusName };
    let status: RunStatusName | undefined = all.status === "RUNNING" ? undefined : all.status;
    if (options.aborted) status = "ABORTED";
    else if (options.error && status !== "ABORTED") status = "FAILED";
    if (status) {
      w.st.endExperiment.run(status, time, options.error?.message ?? null, options.error?.stack ?? null, id);
      result = status;
    }
  });
  return result;
}
