/**
 * The part of a SQL connection the tracking store and the results API use: better-sqlite3's
 * Database satisfies it as is (SQLite, the embedded default), and ../pg/pg-db.ts implements it
 * over PostgreSQL. Both are synchronous, so the writer's hot path and the readers' queries are
 * one code path for both stores (see ../pg/sync-bridge.ts for how PostgreSQL is made so).
 */

export interface SqlRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqlStatement {
  run(...params: unknown[]): SqlRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays of column values instead of objects (the hot read of chunks). */
  raw(toggle?: boolean): SqlStatement;
}

export interface SqlTransaction<R> {
  (): R;
  /** Takes the write lock at once (SQLite BEGIN IMMEDIATE; PostgreSQL: a read-write transaction). */
  immediate(): R;
  /** A read: one consistent snapshot. */
  deferred(): R;
}

export interface SqlDb {
  readonly open: boolean;
  prepare(sql: string): SqlStatement;
  transaction<R>(fn: () => R): SqlTransaction<R>;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}

/** Where a store lives: a PostgreSQL URL, or else a SQLite file path. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The URL with its password replaced by `***`, for messages and the names readers show. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
  }
}

/** How to name a store in messages: a file as is, a URL without its password. */
export function displayTarget(target: string): string {
  return isPostgresUrl(target) ? maskUrl(target) : target;
}

/** A database's kind: PostgreSQL connections say so; anything else is better-sqlite3. */
export function isPostgres(db: SqlDb): boolean {
  return (db as { kind?: string }).kind === "postgresql";
}
