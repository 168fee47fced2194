import { openStoreForReading, openStoreForWriting } from "../tracking/db/connection";
import { displayTarget, type SqlDb } from "../tracking/db/sql";
import { WriterLiveness, type WriterInfo } from "../tracking/db/liveness";

/**
 * `expman db copy`: copies experiments from one tracking store to another (SQLite file or
 * PostgreSQL URL, either way), rows as they are (chunk blobs byte for byte), with new row ids
 * in the target. All of it in one target transaction: a failure leaves the target as it was.
 * An experiment whose uid the target holds already is refused (copying twice would duplicate
 * it), and so is one still being written (its writer alive).
 */

/** Tables in the order parents come before children; `where` selects one experiment's rows. */
const RUNS = "SELECT r.id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = ?";
const TABLES: { table: string; where: string; keyed: boolean }[] = [
  { table: "experiment", where: "id = ?", keyed: true },
  { table: "trial", where: "experiment_id = ?", keyed: true },
  { table: "trial_run", where: `trial_id IN (SELECT id FROM trial WHERE experiment_id = ?)`, keyed: true },
  { table: "epoch", where: `run_id IN (${RUNS})`, keyed: false },
  { table: "series", where: "experiment_id = ?", keyed: true },
  { table: "chunk", where: "series_id IN (SELECT id FROM series WHERE experiment_id = ?)", keyed: true },
  { table: "epoch_metric", where: `run_id IN (${RUNS})`, keyed: false },
  { table: "metric_text", where: "series_id IN (SELECT id FROM series WHERE experiment_id = ?)", keyed: true },
  { table: "param", where: "experiment_id = ?", keyed: true },
  { table: "checkpoint", where: `run_id IN (${RUNS})`, keyed: true },
  { table: "artifact", where: "experiment_id = ?", keyed: true },
];

/** Foreign-key columns and the table whose new ids they take. */
const REFERENCES: Record<string, string> = {
  experiment_id: "experiment",
  trial_id: "trial",
  run_id: "trial_run",
  series_id: "series",
};

export interface CopiedExperiment {
  uid: string;
  title: string;
  /** Rows copied per table. */
  rows: Record<string, number>;
  /** Metric points (numeric, in chunks) and text values, as counted in the target after the copy. */
  points: number;
}

export class CopyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyRefused";
  }
}

/**
 * Copies the experiments `select`ed (ids, uids or titles; all when empty) from `from` to `to`.
 * Returns what was copied, checked: the target's point counts equal the source's.
 */
export function copyExperiments(from: string, to: string, select: string[] = []): CopiedExperiment[] {
  if (from === to) throw new CopyRefused(`The source and the target are the same store (${displayTarget(from)}).`);
  const source = openStoreForReading(from);
  try {
    const experiments = chosen(source, select, from);
    const live = new WriterLiveness();
    for (const e of experiments) {
      if (e.status === "RUNNING" && !live.writerGone(e))
        throw new CopyRefused(
          `Experiment '${e.title}' (id ${e.id}) in ${displayTarget(from)} is still being written by pid ${e.pid ?? "?"} on ${e.host ?? "?"}: copy it once it has ended.`,
        );
    }
    const target = openStoreForWriting(to);
    try {
      const taken = experiments.filter((e) => target.prepare("SELECT 1 FROM experiment WHERE uid = ?").get(e.uid));
      if (taken.length > 0)
        throw new CopyRefused(
          `${displayTarget(to)} already holds ${taken.map((e) => `experiment '${e.title}' (uid ${e.uid})`).join(", ")}: nothing was copied. Copy the others by id with --experiment, or into another store.`,
        );
      const copied = target.transaction(() => experiments.map((e) => copyOne(source, target, e))).immediate();
      for (const c of copied) {
        const expected = pointsOf(source, "uid = ?", c.uid);
        if (c.points !== expected)
          throw new Error(
            `Copy check failed for '${c.title}': ${expected} points in the source, ${c.points} in the target.`,
          );
      }
      return copied;
    } finally {
      target.close();
    }
  } finally {
    source.close();
  }
}

interface ExperimentRow extends WriterInfo {
  id: number;
  uid: string;
  title: string;
}

function chosen(db: SqlDb, select: string[], from: string): ExperimentRow[] {
  const all = db
    .prepare("SELECT id, uid, title, status, pid, host, heartbeat FROM experiment ORDER BY id")
    .all() as ExperimentRow[];
  if (select.length === 0) {
    if (all.length === 0) throw new CopyRefused(`${displayTarget(from)} holds no experiment to copy.`);
    return all;
  }
  return select.map((s) => {
    const matches = all.filter((e) => String(e.id) === s || e.uid === s || e.title === s);
    if (matches.length === 1) return matches[0];
    const known = all.map((e) => `${e.id} '${e.title}'`).join(", ") || "none";
    throw new CopyRefused(
      matches.length === 0
        ? `No experiment '${s}' in ${displayTarget(from)} (by id, uid or title). It has: ${known}.`
        : `'${s}' names ${matches.length} experiments in ${displayTarget(from)}; give the id instead: ${known}.`,
    );
  });
}

function copyOne(source: SqlDb, target: SqlDb, e: ExperimentRow): CopiedExperiment {
  const newIds: Record<string, Map<number, number>> = {};
  const rows: Record<string, number> = {};
  for (const { table, where, keyed } of TABLES) {
    const ids = (newIds[table] = new Map());
    let count = 0;
    const insert = new Map<string, ReturnType<SqlDb["prepare"]>>();
    // Chunks one series at a time: a long series is many megabytes of blobs.
    const batches =
      table === "chunk"
        ? [...newIds.series.keys()].map((seriesId) =>
            source.prepare("SELECT * FROM chunk WHERE series_id = ? ORDER BY seq").all(seriesId),
          )
        : [source.prepare(`SELECT * FROM ${table} WHERE ${where} ORDER BY 1`).all(e.id)];
    for (const batch of batches) {
      for (const row of batch as Record<string, unknown>[]) {
        const columns = Object.keys(row).filter((c) => c !== "id");
        const values = columns.map((c) => {
          const parent = REFERENCES[c];
          const v = row[c];
          if (!parent || v === null || v === undefined) return v;
          const mapped = newIds[parent]?.get(v as number);
          if (mapped === undefined) throw new Error(`${table}.${c} = ${String(v)} has no ${parent} row in the copy.`);
          return mapped;
        });
        const sql = `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
        let stmt = insert.get(sql);
        if (!stmt) insert.set(sql, (stmt = target.prepare(sql)));
        const result = stmt.run(...values);
        if (keyed) ids.set(row.id as number, Number(result.lastInsertRowid));
        count++;
      }
    }
    rows[table] = count;
  }
  const newId = newIds.experiment.get(e.id)!;
  return { uid: e.uid, title: e.title, rows, points: pointsOf(target, "id = ?", newId) };
}

/** Numeric points (summed from the chunks) plus text values of one experiment. */
function pointsOf(db: SqlDb, where: string, key: unknown): number {
  const row = db
    .prepare(
      `SELECT coalesce(sum(c.n), 0) + (SELECT count(*) FROM metric_text m JOIN series s ON s.id = m.series_id JOIN experiment x ON x.id = s.experiment_id WHERE x.${where}) AS n
       FROM chunk c JOIN series s ON s.id = c.series_id JOIN experiment x ON x.id = s.experiment_id WHERE x.${where}`,
    )
    .get(key, key) as { n: number };
  return Number(row.n);
}
