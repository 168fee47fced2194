import type { Database } from "better-sqlite3";
import { isPostgres, type SqlDb } from "./sql";
import { RUN_STATUS_NAMES, SCOPES } from "../../common/vocabulary";
import { TrackingDbError } from "./errors";
import { EPOCH_METRIC_VIEW, finalMetricView, RUN_VIEW } from "./views";

/**
 * The tracking database schema and its forward migrations. `PRAGMA user_version` holds the
 * version a file is at; opening a file for writing applies the missing migrations in order,
 * each in its own transaction, so a file is always at one well-defined version.
 *
 * Layout (version 1), chosen for speed (see docs/architecture.md, "The store"):
 * - experiment > trial > trial_run > epoch, with foreign keys ON and ON DELETE CASCADE. Each
 *   entity keeps the UUID the TrackerManager gave it (`uid`), so run events join to rows.
 *   Statuses are the RunStatus names (RUNNING, SUCCESS, FAILED, STOPPED, ABORTED, ...), held
 *   to that list by CHECK constraints built from common/vocabulary.ts. The
 *   experiment row records the writer's `pid` and `host`, so a reader can tell a RUNNING
 *   experiment whose process was killed (it is reported ABORTED).
 * - Metric points: one `series` row per (owner, key, scope, label: version 7) with a summary (count, step range,
 *   last value), and `chunk` rows of up to CHUNK_POINTS points each, stored as three blobs
 *   (steps, values, times; Float64Array bytes, or the compact forms of `enc`, version 2, see
 *   ./chunk-codec.ts) with their step and value ranges, so a reader skips whole chunks when
 *   zooming. A step of NaN stands for "no step" (run scope). NaN and ±Infinity values are
 *   kept as is in the blobs.
 * - `epoch_metric`: epoch-scope numeric values, one row per (run, epoch, key), last write wins,
 *   for plain SQL and the epoch list. In REAL columns SQLite turns NaN into NULL, so a NULL
 *   `value` there (and in `series.last_value` with count > 0) means NaN.
 * - `metric_text`: values that are not numbers (strings, objects, null), as JSON. Booleans are
 *   stored as numbers 0/1 in the series.
 * - `param`, `checkpoint`, `artifact`: owned by an experiment, and optionally a trial and a run.
 * - Views for SQL readers: `v_run`, `v_epoch_metric`, `v_final_metric` (./views.ts, shared with PostgreSQL).
 */

/** Points per chunk row. */
export const CHUNK_POINTS = 1024;

/** `('a','b')`: a SQL list of string literals, for `CHECK (x IN ...)`. */
function sqlList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")})`;
}

/**
 * The status CHECK as a new file gets it. A file keeps the CHECK text it was created with, so
 * adding a status to RunStatus also takes a migration: `statusCheckMigration(version)`.
 */
const STATUS_CHECK = `CHECK (status IN ${sqlList(RUN_STATUS_NAMES)})`;
const SCOPE_CHECK = `CHECK (scope IN ${sqlList(SCOPES)})`;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Steps SQL alone cannot express; run after `sql`, in the same transaction. */
  apply?: (db: Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial chunked layout",
    sql: `
CREATE TABLE experiment (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  title         TEXT NOT NULL,
  desc          TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL DEFAULT 'RUNNING' ${STATUS_CHECK},
  start_time    INTEGER NOT NULL,
  end_time      INTEGER,
  config_dir    TEXT,
  workspace     TEXT,
  pid           INTEGER,
  host          TEXT,
  error_message TEXT,
  error_stack   TEXT
);

CREATE TABLE trial (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'RUNNING' ${STATUS_CHECK},
  start_time    INTEGER NOT NULL,
  end_time      INTEGER,
  workspace     TEXT
);
CREATE INDEX trial_by_experiment ON trial(experiment_id);

CREATE TABLE trial_run (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  trial_id      INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
  repeat        INTEGER NOT NULL DEFAULT 0,
  seed          INTEGER,
  status        TEXT NOT NULL DEFAULT 'RUNNING' ${STATUS_CHECK},
  start_time    INTEGER NOT NULL,
  end_time      INTEGER,
  workspace     TEXT,
  error_message TEXT,
  error_stack   TEXT
);
CREATE INDEX trial_run_by_trial ON trial_run(trial_id);

CREATE TABLE epoch (
  run_id      INTEGER NOT NULL REFERENCES trial_run(id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'RUNNING' ${STATUS_CHECK},
  start_time  INTEGER NOT NULL,
  end_time    INTEGER,
  batch_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

CREATE TABLE series (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
  trial_id      INTEGER REFERENCES trial(id) ON DELETE CASCADE,
  run_id        INTEGER REFERENCES trial_run(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  scope         TEXT NOT NULL ${SCOPE_CHECK},
  custom        INTEGER NOT NULL DEFAULT 0,
  count         INTEGER NOT NULL DEFAULT 0,
  text_count    INTEGER NOT NULL DEFAULT 0,
  min_step      REAL,
  max_step      REAL,
  last_step     REAL,
  last_value    REAL,
  last_time     INTEGER
);
CREATE UNIQUE INDEX series_by_owner_key ON series(experiment_id, ifnull(trial_id, 0), ifnull(run_id, 0), key, scope);
CREATE INDEX series_by_run ON series(run_id);

CREATE TABLE chunk (
  id         INTEGER PRIMARY KEY,
  series_id  INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  n          INTEGER NOT NULL,
  min_step   REAL,
  max_step   REAL,
  min_value  REAL,
  max_value  REAL,
  first_time INTEGER NOT NULL,
  last_time  INTEGER NOT NULL,
  steps      BLOB NOT NULL,
  vals       BLOB NOT NULL,
  times      BLOB NOT NULL,
  UNIQUE (series_id, seq)
);

CREATE TABLE epoch_metric (
  run_id INTEGER NOT NULL,
  epoch  INTEGER NOT NULL,
  key    TEXT NOT NULL,
  value  REAL,
  step   REAL,
  time   INTEGER NOT NULL,
  PRIMARY KEY (run_id, epoch, key),
  FOREIGN KEY (run_id, epoch) REFERENCES epoch(run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE metric_text (
  id        INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
  step      REAL,
  epoch     INTEGER,
  batch     INTEGER,
  time      INTEGER NOT NULL,
  value     TEXT NOT NULL
);
CREATE INDEX metric_text_by_series ON metric_text(series_id);

CREATE TABLE param (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
  trial_id      INTEGER REFERENCES trial(id) ON DELETE CASCADE,
  run_id        INTEGER REFERENCES trial_run(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  value         TEXT NOT NULL
);
CREATE UNIQUE INDEX param_by_owner_key ON param(experiment_id, ifnull(trial_id, 0), ifnull(run_id, 0), key);
CREATE INDEX param_by_run ON param(run_id);

CREATE TABLE checkpoint (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES trial_run(id) ON DELETE CASCADE,
  epoch   INTEGER,
  step    REAL,
  path    TEXT NOT NULL,
  final   INTEGER NOT NULL DEFAULT 0,
  time    INTEGER NOT NULL,
  metrics TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX checkpoint_by_run ON checkpoint(run_id);

CREATE TABLE artifact (
  id            INTEGER PRIMARY KEY,
  level         TEXT NOT NULL CHECK (level IN ('experiment','trial','trial_run','epoch','batch')),
  experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
  trial_id      INTEGER REFERENCES trial(id) ON DELETE CASCADE,
  run_id        INTEGER REFERENCES trial_run(id) ON DELETE CASCADE,
  epoch         INTEGER,
  batch         INTEGER,
  type          TEXT NOT NULL,
  path          TEXT NOT NULL,
  time          INTEGER NOT NULL,
  meta          TEXT
);
CREATE INDEX artifact_by_run ON artifact(run_id);

${RUN_VIEW}

${EPOCH_METRIC_VIEW}

${finalMetricView("sqlite", false)}
`,
  },
  {
    version: 2,
    name: "compact chunk encodings (see chunk-codec.ts)",
    sql: `ALTER TABLE chunk ADD COLUMN enc INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 3,
    // Per-label values (the original's per_label_val): one series per label, keyed
    // `<metric>/<label>`, with the label here so readers can group a metric's labels.
    name: "label dimension on series",
    sql: `ALTER TABLE series ADD COLUMN label TEXT;`,
  },
  // QUEUED: a planned run waiting for a worker (many runs, experiment/plan.ts).
  statusCheckMigration(4),
  {
    version: 5,
    name: "planned runs: run index, per-run writer and executor job; the config an experiment was planned with",
    sql: `
ALTER TABLE trial_run ADD COLUMN run_index INTEGER;
ALTER TABLE trial_run ADD COLUMN pid INTEGER;
ALTER TABLE trial_run ADD COLUMN host TEXT;
ALTER TABLE trial_run ADD COLUMN job_id TEXT;
ALTER TABLE experiment ADD COLUMN config TEXT;
ALTER TABLE experiment ADD COLUMN executor TEXT;
`,
  },
  {
    version: 6,
    // The writer refreshes it every few seconds (./liveness.ts): readers tell a run whose
    // writer stopped (killed, pid reused, another host) from one still going.
    name: "writer heartbeat on experiment",
    sql: `ALTER TABLE experiment ADD COLUMN heartbeat INTEGER;`,
  },
  {
    version: 7,
    // A total named `x/a/b` and metric `x` with label `a/b` join to the same key text: the label
    // is part of a series' identity, so they are two rows (before, their points merged into one
    // series). Final metrics prefer the total over a label series of the same key.
    name: "label in the series key index",
    sql: `
DROP INDEX series_by_owner_key;
CREATE UNIQUE INDEX series_by_owner_key ON series(experiment_id, ifnull(trial_id, 0), ifnull(run_id, 0), key, scope, label IS NOT NULL, ifnull(label, ''));
DROP VIEW v_final_metric;
${finalMetricView("sqlite", true)}
`,
  },
  {
    version: 8,
    // The user's words about a run (expman note / tag, the tree, the runs table): plain tables,
    // written apart from the tracked data (./run-notes.ts).
    name: "run notes and tags",
    sql: `
CREATE TABLE run_note (
  run_id  INTEGER PRIMARY KEY REFERENCES trial_run(id) ON DELETE CASCADE,
  note    TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE TABLE run_tag (
  run_id INTEGER NOT NULL REFERENCES trial_run(id) ON DELETE CASCADE,
  tag    TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tag_by_tag ON run_tag(tag);
`,
  },
  {
    version: 9,
    // A warning a run gave that readers show with it after it ended (CheckpointCallback's
    // "no checkpoint saved: <why>"); live, the editor has it from the event stream.
    name: "run warning",
    sql: `ALTER TABLE trial_run ADD COLUMN warning TEXT;`,
  },
];

/** Tables whose `status` column is held to the RunStatus names. */
const STATUS_TABLES = ["experiment", "trial", "trial_run", "epoch"];

/**
 * A migration that sets the status CHECK of an existing file to today's RunStatus names (for
 * when a status is added: `MIGRATIONS.push(statusCheckMigration(N))`).
 */
export function statusCheckMigration(version: number): Migration {
  return {
    version,
    name: `status CHECK: ${RUN_STATUS_NAMES.join(", ")}`,
    sql: "",
    apply: (db) => setStatusChecks(db, RUN_STATUS_NAMES),
  };
}

/**
 * Rewrites the status CHECK constraints of the stored table definitions to allow exactly
 * `names`. SQLite cannot ALTER a CHECK; its documented way for a change that leaves the stored
 * rows valid is to edit the schema text (sqlite.org/lang_altertable.html, "other kinds of table
 * schema changes") and bump `schema_version`. Only for widening the list: rows are not re-checked.
 * Must run inside a write transaction.
 */
export function setStatusChecks(db: Database, names: readonly string[]): void {
  const rows = db
    .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ${sqlList(STATUS_TABLES)}`)
    .all() as { name: string; sql: string }[];
  const wanted = `CHECK (status IN ${sqlList(names)})`;
  const version = db.pragma("schema_version", { simple: true }) as number;
  // better-sqlite3 opens connections in SQLite's defensive mode, which forbids schema edits.
  db.unsafeMode(true);
  try {
    db.pragma("writable_schema = ON");
    const update = db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?");
    for (const row of rows) update.run(row.sql.replace(/CHECK \(status IN \([^)]*\)\)/, wanted), row.name);
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma("writable_schema = OFF");
  } finally {
    db.unsafeMode(false);
  }
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersionOf(db: SqlDb): number {
  if (isPostgres(db)) return (db as unknown as { schemaVersion(): number }).schemaVersion();
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings a writable connection to SCHEMA_VERSION. Idempotent: a file already at the version is
 * left alone. A file from a newer expman is refused rather than misread.
 */
export function migrate(db: Database, file: string): number {
  const current = schemaVersionOf(db);
  if (current > SCHEMA_VERSION) {
    throw new TrackingDbError(
      "DB_NEWER",
      file,
      `${file} has tracking schema version ${current}, newer than this expman understands (${SCHEMA_VERSION}). Update expman, or point the DBTracker at another file.`,
    );
  }
  refuseForeignDatabase(db, file);
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      // Another process may have migrated between our read and this write lock.
      if (schemaVersionOf(db) >= migration.version) return;
      db.exec(migration.sql);
      migration.apply?.(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersionOf(db);
}

/**
 * Refuses a file that holds other tables and no schema version (the Python original's database,
 * another tool's) before anything writes to it: not even the WAL switch, which rewrites its header.
 */
export function refuseForeignDatabase(db: Database, file: string): void {
  if (schemaVersionOf(db) !== 0 || !hasForeignTables(db)) return;
  const original =
    (
      db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name IN ('EXPERIMENT', 'TRIAL_RUN', 'METRIC')",
        )
        .get() as { n: number }
    ).n === 3;
  throw new TrackingDbError(
    "DB_UNREADABLE",
    file,
    `${file} is a SQLite database but not an expman tracking database (it has other tables and no schema version)` +
      (original
        ? "; it is a database of the Python original, which expman reads but never writes (expman ls/show/export, the tree and the panel open it read-only)"
        : "") +
      `. Choose another 'name' for the DBTracker, or set 'recreate: true' to replace it.`,
  );
}

function hasForeignTables(db: Database): boolean {
  const row = db
    .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .get() as { n: number };
  return row.n > 0;
}
