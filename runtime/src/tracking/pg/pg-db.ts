import type { SqlDb, SqlRunResult, SqlStatement, SqlTransaction } from "../db/sql";
import { toPostgres, type TranslatedSql } from "./dialect";
import { SyncPgConnection, type BridgeError } from "./sync-bridge";
import { pgSchemaVersion } from "./schema";

/**
 * A PostgreSQL database behind the same synchronous interface as better-sqlite3's (../db/sql.ts),
 * over one connection (./sync-bridge.ts). Statements are written in the store's SQLite SQL and
 * translated once (./dialect.ts). Values go in and come out as SQLite would give them: a NaN
 * parameter is stored as NULL (SQLite's REAL does that too), bigints and sums come back as
 * numbers, bytea as Buffer.
 */

/** A failed statement: `unavailable` when the connection is gone (the writer retries later). */
export class PgError extends Error {
  readonly code: string | undefined;
  readonly unavailable: boolean;
  constructor(error: BridgeError, sql?: string) {
    // The statement helps with an SQL error, not with a refused login or a missing database.
    const aboutSql = sql !== undefined && !error.unavailable && !/^(28|3D)/.test(error.code ?? "");
    super(aboutSql ? `${error.message} (in: ${sql.trim().slice(0, 160)})` : error.message);
    this.name = "PgError";
    this.code = error.code;
    this.unavailable = error.unavailable;
  }
}

export interface PgDbOptions {
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

export class PgDb implements SqlDb {
  readonly kind = "postgresql";
  private readonly conn: SyncPgConnection;
  private isOpen = true;
  /** Open transactions (nested ones are savepoints, as in better-sqlite3). */
  private depth = 0;

  constructor(
    readonly url: string,
    options: PgDbOptions = {},
  ) {
    this.conn = new SyncPgConnection(url, {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      queryTimeoutMs: options.queryTimeoutMs ?? 60_000,
    });
  }

  get open(): boolean {
    return this.isOpen;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Runs PostgreSQL SQL as is (no translation): migrations and the store's own queries. */
  query(sql: string, params: unknown[] = [], rowMode?: "array"): { rows: unknown[]; rowCount: number } {
    if (!this.isOpen) throw new PgError({ message: "The PostgreSQL connection was closed.", unavailable: false }, sql);
    const reply = this.conn.call({ kind: "query", sql, params: params.map(toParam), rowMode });
    if (reply.error) throw new PgError(reply.error, sql);
    return { rows: reply.rows ?? [], rowCount: reply.rowCount ?? 0 };
  }

  prepare(sql: string): SqlStatement {
    return new PgStatement(this, toPostgres(sql));
  }

  exec(sql: string): void {
    this.query(sql);
  }

  /** The tracking schema version (SQLite keeps it in PRAGMA user_version). */
  schemaVersion(): number {
    return pgSchemaVersion(this);
  }

  /** SQLite's pragmas (busy timeout, WAL) have no PostgreSQL counterpart: nothing to do. */
  pragma(): undefined {
    return undefined;
  }

  transaction<R>(fn: () => R): SqlTransaction<R> {
    const run = (begin: string): R => {
      const nested = this.depth > 0;
      const name = `sp${this.depth}`;
      this.query(nested ? `SAVEPOINT ${name}` : begin);
      this.depth++;
      try {
        const result = fn();
        this.depth--;
        this.query(nested ? `RELEASE SAVEPOINT ${name}` : "COMMIT");
        return result;
      } catch (error) {
        if (this.depth > (nested ? 1 : 0)) this.depth--;
        try {
          this.query(nested ? `ROLLBACK TO SAVEPOINT ${name}` : "ROLLBACK");
        } catch {
          // The connection is gone: the server rolled the transaction back itself.
        }
        if (!nested) this.depth = 0;
        throw error;
      }
    };
    const tx = (() => run("BEGIN")) as SqlTransaction<R>;
    tx.immediate = () => run("BEGIN");
    tx.deferred = () => run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    return tx;
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.conn.close();
  }
}

class PgStatement implements SqlStatement {
  private arrays = false;

  constructor(
    private readonly db: PgDb,
    private readonly sql: TranslatedSql,
  ) {}

  raw(toggle = true): SqlStatement {
    this.arrays = toggle;
    return this;
  }

  run(...params: unknown[]): SqlRunResult {
    const result = this.execute(params);
    const first = result.rows[0] as { id?: number } | undefined;
    return { changes: result.rowCount, lastInsertRowid: this.sql.returnsId && first ? Number(first.id) : 0 };
  }

  get(...params: unknown[]): unknown {
    return this.execute(params).rows[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.execute(params).rows;
  }

  private execute(params: unknown[]): { rows: unknown[]; rowCount: number } {
    let values = params;
    if (this.sql.names) {
      const named = (params[0] ?? {}) as Record<string, unknown>;
      values = this.sql.names.map((n) => named[n]);
    }
    const result = this.db.query(this.sql.text, values, this.arrays ? "array" : undefined);
    for (const row of result.rows) toBuffers(row as Record<string, unknown>);
    return result;
  }
}

/** SQLite stores a NaN REAL as NULL; so does this store, so both read back alike. */
function toParam(value: unknown): unknown {
  if (typeof value === "number" && Number.isNaN(value)) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

/** bytea arrives from the worker as Uint8Array (structured clone); readers expect Buffers. */
function toBuffers(row: Record<string, unknown>): void {
  for (const key in row) {
    const v = row[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}
