import type { SqlDb, SqlStatement as Statement } from "./sql";

/**
 * The writer's prepared statements, prepared once per connection: the hot ones (chunks, series,
 * epoch values) run thousands of times per flush. Statements run only once in a while (a plan,
 * a resume, a scheduler's final word) are prepared where they are used.
 */
export interface Statements {
  insertExperiment: Statement;
  insertTrial: Statement;
  insertRun: Statement;
  heartbeat: Statement;
  experimentByUid: Statement;
  trialByUid: Statement;
  runByUid: Statement;
  endExperiment: Statement;
  endTrial: Statement;
  endRun: Statement;
  upsertEpoch: Statement;
  ensureEpoch: Statement;
  endEpoch: Statement;
  epochBatchCount: Statement;
  seriesByOwnerKey: Statement;
  lastChunk: Statement;
  insertSeries: Statement;
  upsertChunk: Statement;
  updateSeries: Statement;
  upsertEpochMetric: Statement;
  insertText: Statement;
  upsertParam: Statement;
  insertCheckpoint: Statement;
  insertArtifact: Statement;
  insertPlannedRun: Statement;
  startRun: Statement;
}

export function prepareStatements(db: SqlDb): Statements {
  return {
    insertExperiment: db.prepare(
      "INSERT INTO experiment (uid, title, desc, start_time, config_dir, workspace, pid, host, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    heartbeat: db.prepare(
      "UPDATE experiment SET heartbeat = ? WHERE status = 'RUNNING' AND id IN (SELECT value FROM json_each(?))",
    ),
    insertTrial: db.prepare(
      "INSERT INTO trial (uid, experiment_id, name, start_time, workspace) VALUES (?, ?, ?, ?, ?)",
    ),
    insertRun: db.prepare(
      "INSERT INTO trial_run (uid, trial_id, repeat, seed, start_time, workspace) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    experimentByUid: db.prepare("SELECT id FROM experiment WHERE uid = ?"),
    trialByUid: db.prepare("SELECT id, experiment_id FROM trial WHERE uid = ?"),
    runByUid: db.prepare(
      "SELECT r.id, r.trial_id, t.experiment_id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE r.uid = ?",
    ),
    endExperiment: db.prepare(
      "UPDATE experiment SET status = ?, end_time = ?, error_message = ?, error_stack = ? WHERE id = ?",
    ),
    endTrial: db.prepare("UPDATE trial SET status = ?, end_time = ? WHERE id = ?"),
    endRun: db.prepare(
      "UPDATE trial_run SET status = ?, end_time = ?, error_message = ?, error_stack = ? WHERE id = ?",
    ),
    upsertEpoch: db.prepare(
      "INSERT INTO epoch (run_id, idx, start_time) VALUES (?, ?, ?) ON CONFLICT (run_id, idx) DO UPDATE SET status = 'RUNNING', end_time = NULL",
    ),
    ensureEpoch: db.prepare("INSERT OR IGNORE INTO epoch (run_id, idx, start_time) VALUES (?, ?, ?)"),
    endEpoch: db.prepare("UPDATE epoch SET status = ?, end_time = ? WHERE run_id = ? AND idx = ?"),
    epochBatchCount: db.prepare("UPDATE epoch SET batch_count = ? WHERE run_id = ? AND idx = ?"),
    seriesByOwnerKey: db.prepare(
      `SELECT id, count, text_count, min_step, max_step, last_step, last_value, last_time FROM series
       WHERE experiment_id = ? AND ifnull(trial_id, 0) = ifnull(?, 0) AND ifnull(run_id, 0) = ifnull(?, 0) AND key = ? AND scope = ? AND label IS ?`,
    ),
    lastChunk: db.prepare(
      "SELECT seq, n, enc, min_step, first_time, steps, vals, times FROM chunk WHERE series_id = ? ORDER BY seq DESC LIMIT 1",
    ),
    insertSeries: db.prepare(
      "INSERT INTO series (experiment_id, trial_id, run_id, key, scope, custom, label) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    upsertChunk: db.prepare(
      `INSERT INTO chunk (series_id, seq, n, min_step, max_step, min_value, max_value, first_time, last_time, enc, steps, vals, times)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (series_id, seq) DO UPDATE SET n = excluded.n, min_step = excluded.min_step, max_step = excluded.max_step,
         min_value = excluded.min_value, max_value = excluded.max_value, first_time = excluded.first_time,
         last_time = excluded.last_time, enc = excluded.enc, steps = excluded.steps, vals = excluded.vals, times = excluded.times`,
    ),
    updateSeries: db.prepare(
      "UPDATE series SET count = ?, text_count = ?, min_step = ?, max_step = ?, last_step = ?, last_value = ?, last_time = ? WHERE id = ?",
    ),
    upsertEpochMetric: db.prepare(
      `INSERT INTO epoch_metric (run_id, epoch, key, value, step, time) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, epoch, key) DO UPDATE SET value = excluded.value, step = excluded.step, time = excluded.time`,
    ),
    insertText: db.prepare(
      "INSERT INTO metric_text (series_id, step, epoch, batch, time, value) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    upsertParam: db.prepare(
      "INSERT OR REPLACE INTO param (experiment_id, trial_id, run_id, key, value) VALUES (?, ?, ?, ?, ?)",
    ),
    insertCheckpoint: db.prepare(
      "INSERT INTO checkpoint (run_id, epoch, step, path, final, time, metrics) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    insertArtifact: db.prepare(
      "INSERT INTO artifact (level, experiment_id, trial_id, run_id, epoch, batch, type, path, time, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertPlannedRun: db.prepare(
      "INSERT INTO trial_run (uid, trial_id, repeat, seed, start_time, workspace, run_index, status, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    startRun: db.prepare(
      `UPDATE trial_run SET status = 'RUNNING', start_time = ?, end_time = NULL, error_message = NULL, error_stack = NULL,
         pid = ?, host = ?, job_id = coalesce(?, job_id) WHERE id = ?`,
    ),
  };
}
