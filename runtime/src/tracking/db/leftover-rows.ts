import type { SqlDb } from "./sql";

/** The rows a writer process answers for (see EntityRows). */
export interface WrittenRows {
  readonly createdExperiments: readonly number[];
  readonly startedRuns: readonly number[];
}

/**
 * What this process left RUNNING ends ABORTED (closed without a clean end), or FAILED with
 * the message when the process ends on an error (a failed store, an uncaught error): the runs
 * it started, and everything under the experiments it created.
 */
export function abortLeftovers(
  db: SqlDb,
  rows: WrittenRows,
  time: number,
  failed?: { message: string; stack?: string },
): void {
  const status = failed ? "FAILED" : "ABORTED";
  if (rows.startedRuns.length > 0) {
    const runs = JSON.stringify(rows.startedRuns);
    db.prepare(
      "UPDATE epoch SET status = ?, end_time = ? WHERE status = 'RUNNING' AND run_id IN (SELECT value FROM json_each(?))",
    ).run(status, time, runs);
    db.prepare(
      "UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(?, error_message) WHERE status = 'RUNNING' AND id IN (SELECT value FROM json_each(?))",
    ).run(status, time, failed?.message ?? null, runs);
  }
  if (rows.createdExperiments.length === 0) return;
  const ids = JSON.stringify(rows.createdExperiments);
  const inList = "(SELECT value FROM json_each(?))";
  const message = failed?.message ?? null;
  const stack = failed?.stack ?? null;
  db.prepare(
    `UPDATE epoch SET status = ?, end_time = ? WHERE status = 'RUNNING' AND run_id IN (SELECT r.id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id IN ${inList})`,
  ).run(status, time, ids);
  db.prepare(
    `UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(error_message, ?), error_stack = coalesce(error_stack, ?)
         WHERE status = 'RUNNING' AND trial_id IN (SELECT id FROM trial WHERE experiment_id IN ${inList})`,
  ).run(status, time, message, stack, ids);
  db.prepare(`UPDATE trial SET status = ?, end_time = ? WHERE status = 'RUNNING' AND experiment_id IN ${inList}`).run(
    status,
    time,
    ids,
  );
  db.prepare(
    `UPDATE experiment SET status = ?, end_time = ?, error_message = coalesce(error_message, ?), error_stack = coalesce(error_stack, ?)
         WHERE status = 'RUNNING' AND id IN ${inList}`,
  ).run(status, time, message, stack, ids);
}
