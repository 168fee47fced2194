import * as fs from "node:fs";
import * as path from "node:path";
import type { Database } from "better-sqlite3";
import { TrackingDbError } from "./errors";
import { isBusy, lockFailure, writeFailure } from "./write-failure";
import { WriterLiveness, type WriterInfo } from "./liveness";
import { describeLockHolders, lockHolders } from "./lock-holders";
import { readSource, rememberCopy } from "./read-copy";
import { isPostgresUrl, type SqlDb } from "./sql";
import { openPgForReading, openPgForWriting } from "../pg/open";
import { migrate, refuseForeignDatabase, schemaVersionOf, SCHEMA_VERSION } from "./schema";

/**
 * Opening tracking databases: a SQLite file, or a PostgreSQL store when the target is a
 * `postgresql://` URL (../pg/open.ts). better-sqlite3 is required here, on first use, never at module
 * top: importing the runtime (or the language server bundling its native-free parts) must not
 * load the native module.
 */

export { TrackingDbError, type TrackingDbErrorCode } from "./errors";

type DatabaseConstructor = typeof import("better-sqlite3");
let sqlite: DatabaseConstructor | undefined;

export function loadSqlite(): DatabaseConstructor {
  if (sqlite) return sqlite;
  try {
    sqlite = require("better-sqlite3") as DatabaseConstructor;
  } catch (error) {
    throw new Error(
      `The DBTracker and the results API need the native module better-sqlite3, which failed to load: ${(error as Error).message}. ` +
        `Run them with the Node.js that installed the runtime (setting experimentManager.nodePath), or reinstall with 'npm rebuild better-sqlite3'.`,
      { cause: error },
    );
  }
  return sqlite;
}

/** A store for writing: the PostgreSQL store of a `postgresql://` URL, else the SQLite file. */
export function openStoreForWriting(
  target: string,
  options: { recreate?: boolean; lockTimeoutMs?: number } = {},
): SqlDb {
  return isPostgresUrl(target) ? openPgForWriting(target, options) : openForWriting(target, options);
}

/** A store for reading: the PostgreSQL store of a `postgresql://` URL, else the SQLite file. */
export function openStoreForReading(target: string, options: { timeoutMs?: number } = {}): SqlDb {
  return isPostgresUrl(target) ? openPgForReading(target) : openForReading(target, options);
}

/** How long a connection waits for another writer's lock before giving up. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (and creates, and migrates) a database for writing: WAL, synchronous=NORMAL (a killed
 * process loses nothing that was committed; only a power cut may lose the last transactions),
 * foreign keys ON. `recreate` deletes the file and its WAL/SHM companions first.
 */
export function openForWriting(file: string, options: { recreate?: boolean; lockTimeoutMs?: number } = {}): Database {
  const Sqlite = loadSqlite();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (options.recreate) {
    refuseIfInUse(file);
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
  }
  let db: Database | undefined;
  try {
    db = new Sqlite(file, { timeout: options.lockTimeoutMs ?? BUSY_TIMEOUT_MS });
    if (db.readonly) {
      // SQLite falls back to read-only for a 0444 file or a read-only mount: say so now, not
      // after a run that tracked nothing.
      throw new TrackingDbError(
        "DB_UNWRITABLE",
        file,
        `Cannot write tracking database ${file}: the file, its folder or its mount is read-only. Make it writable or point the DBTracker elsewhere.`,
      );
    }
    // Before anything writes (the WAL switch rewrites the header): not ours, not touched.
    refuseForeignDatabase(db, file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, file);
    return db;
  } catch (error) {
    db?.close();
    throw describeOpenError(file, error, "write");
  }
}

/**
 * Opens an existing database read-only. Fails with a TrackingDbError naming the file when it is
 * missing, not a database, not an expman database, locked, or from a newer expman.
 */
export function openForReading(file: string, options: { timeoutMs?: number } = {}): Database {
  const Sqlite = loadSqlite();
  if (!fs.existsSync(file)) {
    throw new TrackingDbError(
      "DB_NOT_FOUND",
      file,
      `Tracking database ${file} does not exist. Run an experiment with a DBTracker first, or check the path.`,
    );
  }
  let db: Database | undefined;
  // In place, or a private copy when reading in place would create or rewrite -wal/-shm (read-copy.ts).
  let source: ReturnType<typeof readSource> | undefined;
  try {
    source = readSource(file);
    db = new Sqlite(source.path, {
      readonly: true,
      fileMustExist: true,
      timeout: options.timeoutMs ?? BUSY_TIMEOUT_MS,
    });
    if (source.stamp !== undefined) {
      const opened = db;
      const dispose = source.dispose;
      const close = opened.close.bind(opened);
      opened.close = () => {
        try {
          return close();
        } finally {
          dispose();
        }
      };
      rememberCopy(opened, source.stamp);
    }
    const version = schemaVersionOf(db);
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number };
      throw new TrackingDbError(
        "DB_UNREADABLE",
        file,
        tables.n === 0
          ? `Tracking database ${file} is empty (no schema yet): nothing has been tracked in it.`
          : `${file} is a SQLite database but not an expman tracking database (no schema version).`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new TrackingDbError(
        "DB_NEWER",
        file,
        `${file} has tracking schema version ${version}, newer than this expman understands (${SCHEMA_VERSION}). Update expman.`,
      );
    }
    verifyTables(db, file);
    return db;
  } catch (error) {
    db?.close();
    source?.dispose();
    throw describeOpenError(file, error, "read");
  }
}

function describeOpenError(file: string, error: unknown, mode: "read" | "write"): Error {
  if (error instanceof TrackingDbError) return error;
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message ?? String(error);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || /not a database|malformed/i.test(message)) {
    const hint =
      mode === "write" ? " Choose another 'name' for the DBTracker, or set 'recreate: true' to replace the file." : "";
    return new TrackingDbError(
      "DB_UNREADABLE",
      file,
      `Cannot ${mode} tracking database ${file}: the file is not a SQLite database or is corrupt (${message}).${hint}`,
      { cause: error },
    );
  }
  if (mode === "write" && isBusy(error)) return lockFailure(file, BUSY_TIMEOUT_MS, " while opening it");
  if (
    mode === "write" &&
    (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_READONLY"))
  )
    return writeFailure(file, error);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new TrackingDbError(
      "DB_LOCKED",
      file,
      `Cannot ${mode} tracking database ${file}: it is locked by another process (${message}). Try again when that process has finished.`,
      { cause: error },
    );
  }
  if (
    mode === "write" &&
    (code === "SQLITE_CANTOPEN" || code === "SQLITE_PERM" || code === "EACCES" || code === "EROFS")
  ) {
    return new TrackingDbError(
      "DB_UNWRITABLE",
      file,
      `Cannot write tracking database ${file}: ${whyNotWritable(file)} (${message}). Make it writable or point the DBTracker elsewhere.`,
      { cause: error },
    );
  }
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_READONLY" || code === "SQLITE_PERM" || code === "EACCES") {
    return new TrackingDbError(
      "DB_UNREADABLE",
      file,
      `Cannot ${mode} tracking database ${file}: ${message}. Check that the file and its folder are ${mode === "write" ? "writable" : "readable"}.`,
      { cause: error },
    );
  }
  if (mode === "write")
    return new Error(`Cannot open tracking database ${file} for writing: ${message}`, { cause: error });
  return new TrackingDbError("DB_UNREADABLE", file, `Cannot read tracking database ${file}: ${message}`, {
    cause: error,
  });
}

/** Why a folder or file cannot be written, as a person would put it. */
function whyNotWritable(file: string): string {
  for (const target of [file, path.dirname(file)]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EROFS") return `${target} is on a read-only file system (mount)`;
      if (code === "EACCES" || code === "EPERM") return `${target} is read-only for this user`;
    }
  }
  return "the file cannot be opened for writing";
}

/** The tables readers query. Each must be a plain table: a crafted file could put a view there. */
export const READ_TABLES = [
  "experiment",
  "trial",
  "trial_run",
  "epoch",
  "series",
  "chunk",
  "epoch_metric",
  "metric_text",
  "param",
  "checkpoint",
  "artifact",
] as const;

/**
 * Readers only trust what they are about to read: every table they query must exist as an
 * ordinary table. A view (an endlessly recursive one would hang every reader), a virtual
 * table or a missing table makes the file unreadable, with the name and the reason.
 */
export function verifyTables(db: Database, file: string): void {
  const rows = db
    .prepare("SELECT name, type, sql FROM sqlite_schema WHERE name IN (SELECT value FROM json_each(?))")
    .all(JSON.stringify(READ_TABLES)) as {
    name: string;
    type: string;
    sql: string | null;
  }[];
  const byName = new Map(rows.map((r) => [r.name, r]));
  const problems: string[] = [];
  for (const name of READ_TABLES) {
    const row = byName.get(name);
    if (!row) problems.push(`table '${name}' is missing`);
    else if (row.type !== "table") problems.push(`'${name}' is a ${row.type}, not a table`);
    else if (/^\s*CREATE\s+VIRTUAL\b/i.test(row.sql ?? "")) problems.push(`'${name}' is a virtual table`);
  }
  if (problems.length > 0) {
    throw new TrackingDbError(
      "DB_UNREADABLE",
      file,
      `${file} is not a valid expman tracking database: ${problems.join("; ")}. It was not written by expman (or was altered); nothing was read from it.`,
    );
  }
}

/**
 * `recreate: true` deletes the file: never under another live writer. Refuses naming who
 * writes it: a RUNNING experiment whose writer is alive (pid, host, since when, last
 * heartbeat), or any other process holding a write lock on it.
 */
function refuseIfInUse(file: string): void {
  if (!fs.existsSync(file)) return;
  const writers: string[] = [];
  let db: Database | undefined;
  try {
    db = new (loadSqlite())(file, { readonly: true, fileMustExist: true, timeout: 1000 });
    const hasBeat =
      (
        db.prepare("SELECT count(*) AS n FROM pragma_table_info('experiment') WHERE name = 'heartbeat'").get() as {
          n: number;
        }
      ).n > 0;
    const rows = db
      .prepare(
        `SELECT title, status, pid, host, start_time, ${hasBeat ? "heartbeat" : "NULL AS heartbeat"} FROM experiment WHERE status = 'RUNNING'`,
      )
      .all() as (WriterInfo & { title: string; start_time: number })[];
    const live = new WriterLiveness();
    for (const r of rows) {
      if (live.writerGone(r)) continue;
      const beat = typeof r.heartbeat === "number" ? `, last heartbeat ${new Date(r.heartbeat).toISOString()}` : "";
      writers.push(
        `experiment '${r.title}' by pid ${r.pid ?? "?"} on host ${r.host ?? "?"} (running since ${new Date(r.start_time).toISOString()}${beat})`,
      );
    }
  } catch {
    // Not readable as a tracking database (damaged, foreign): replacing it is what recreate is for.
  } finally {
    db?.close();
  }
  const holders = lockHolders(file).filter((h) => h.write);
  if (writers.length === 0 && holders.length === 0) return;
  const who = writers.length > 0 ? writers.join("; ") : `process ${describeLockHolders(holders)}`;
  throw new TrackingDbError(
    "DB_IN_USE",
    file,
    `Refusing to recreate ${file}: it is being written by ${who}. Deleting it would lose that experiment's data. Wait for it to end (or stop it), or give this DBTracker another 'name'.`,
  );
}
