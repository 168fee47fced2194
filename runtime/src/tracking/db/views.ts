/**
 * The views for SQL readers (`v_run`, `v_epoch_metric`, `v_final_metric`), written once for
 * both stores: the SQLite migrations (./schema.ts) and their PostgreSQL twins
 * (../pg/schema.ts) take them from here.
 *
 * The one dialect difference: PostgreSQL wants a name on a subquery in FROM, which the SQLite
 * text never had. The SQLite text must stay as it is, byte for byte: a file stores each view's
 * CREATE text as it was made, and the migrations that made existing files must mean the same
 * thing forever.
 */

export type ViewDialect = "sqlite" | "postgresql";

/** One row per run with its trial and experiment. */
export const RUN_VIEW = `CREATE VIEW v_run AS
  SELECT r.id AS run_id, r.uid AS run_uid, e.id AS experiment_id, e.title AS experiment, t.id AS trial_id,
         t.name AS trial, r.repeat, r.seed, r.status, r.start_time, r.end_time, r.error_message
  FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id;`;

/** Epoch values with their run's names (plain SQL over epoch_metric). */
export const EPOCH_METRIC_VIEW = `CREATE VIEW v_epoch_metric AS
  SELECT v.experiment_id, v.experiment, v.trial_id, v.trial, v.run_id, v.repeat, m.epoch, m.key,
         m.value, m.step, m.time
  FROM epoch_metric m JOIN v_run v ON v.run_id = m.run_id;`;

/**
 * Each run's final value per key: its run-scope value if it has one, else the last epoch's,
 * else the last batch's. From schema version 7 on (`totalsFirst`), a metric's total wins over
 * a per-label series whose joined key is the same text.
 */
export function finalMetricView(dialect: ViewDialect, totalsFirst: boolean): string {
  const order = `CASE s.scope WHEN 'run' THEN 0 WHEN 'epoch' THEN 1 ELSE 2 END${totalsFirst ? ", s.label IS NOT NULL" : ""}`;
  const alias = dialect === "postgresql" ? " ranked" : "";
  return `CREATE VIEW v_final_metric AS
  SELECT run_id, key, last_value AS value, last_step AS step, scope FROM (
    SELECT s.*, row_number() OVER (
      PARTITION BY s.run_id, s.key
      ORDER BY ${order}) AS rank
    FROM series s WHERE s.run_id IS NOT NULL AND s.count > 0)${alias}
  WHERE rank = 1;`;
}
