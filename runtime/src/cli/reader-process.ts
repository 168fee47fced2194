import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import { displayTarget } from "../tracking/db/sql";
import { expmanBin } from "./bin-path";
import { QueryErrorCode, type QueryMethod, type QueryMethods } from "../results/contract";

/**
 * Database files read in a child process, with a deadline on every query. better-sqlite3
 * has no progress handler or interrupt, and a worker thread stuck in SQLite cannot be stopped
 * (terminate() waits for the native call; process.exit hangs with it, measured): a process
 * can. The child is `expman serve --direct` (the in-process QueryService on stdio); on a
 * deadline it is killed, the caller gets DB_TIMEOUT naming the file, and the next query
 * starts a fresh child. `file` names the reader in messages; each request names its own
 * database (one reader may read several: ./reader-pool.ts decides which reader reads what).
 */

/** Default deadline of one query (`expman serve --timeout MS`, EXPMAN_QUERY_TIMEOUT_MS). */
export const DEFAULT_QUERY_TIMEOUT_MS = 15_000;

/** `data.reason` of a request that failed because its reader process died or never started. */
export const READER_LOST = "READER_LOST";

/** How long a reader may take to start (loading Node and better-sqlite3 on a busy machine). */
const STARTUP_MS = 30_000;
/** The notification a `serve --direct` child sends once it reads requests. */
export const READY_NOTIFICATION = "reader.ready";

/** A JSON-RPC error from the reader (or its deadline), with the service's code. */
export class QueryFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "QueryFailure";
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The query's deadline, started once the child is ready (startup is not the file's fault). */
  timer: NodeJS.Timeout | undefined;
  method: string;
  /** The database the request reads, as messages show it (a shared reader reads several). */
  shown: string;
}

export function queryTimeoutMs(flag?: string): number {
  const raw = flag ?? process.env.EXPMAN_QUERY_TIMEOUT_MS;
  const ms = raw === undefined ? DEFAULT_QUERY_TIMEOUT_MS : Number(raw);
  if (!Number.isFinite(ms) || ms <= 0)
    throw new Error(`The query timeout must be a number of milliseconds > 0 (got '${raw}').`);
  return ms;
}

export class ReaderProcess {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = "";
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private startupTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly timeoutMs: number = queryTimeoutMs(),
  ) {}

  /** The file, or the PostgreSQL URL without its password, for messages. */
  private get shown(): string {
    return displayTarget(this.file);
  }

  /** A typed query of the service's method table. */
  call<M extends QueryMethod>(
    method: M,
    params: Omit<QueryMethods[M]["params"], "db">,
  ): Promise<QueryMethods[M]["result"]> {
    return this.send(method, { ...params, db: this.file }) as Promise<QueryMethods[M]["result"]>;
  }

  /** Forwards a request as it came (the router checked the method name). */
  send(method: string, params: object): Promise<unknown> {
    const child = this.ensureChild();
    const id = this.nextId++;
    const target = (params as { db?: unknown; path?: unknown }).db ?? (params as { path?: unknown }).path;
    const shown = typeof target === "string" ? displayTarget(target) : this.shown;
    return new Promise((resolve, reject) => {
      const timer = this.ready ? setTimeout(() => this.timedOut(method, shown), this.timeoutMs) : undefined;
      this.pending.set(id, { resolve, reject, timer, method, shown });
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  /** Calls `then` once the child reads requests (at once if it does): the deadlines count from there. */
  whenReady(then: () => void): void {
    if (this.child && this.ready) then();
    else this.readyWaiters.push(then);
  }

  /** Ends the child (after what it is doing). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    this.failAll(new QueryFailure(-32603, `the reader of ${this.shown} was closed`));
    child?.stdin.end();
  }

  private timedOut(method: string, shown: string): void {
    const child = this.child;
    this.child = undefined;
    clearTimeout(this.startupTimer);
    // Ours to stop: it runs SQLite on a file that does not answer.
    child?.kill("SIGKILL");
    this.failAll(
      () =>
        new QueryFailure(
          QueryErrorCode.DB_TIMEOUT,
          `Reading ${shown} (${method}) did not finish within ${this.timeoutMs} ms, so it was stopped: the file may be crafted or damaged. Other databases are not affected.`,
          { reason: "DB_TIMEOUT" },
        ),
    );
  }

  /** Rejects every pending request; `error` makes each one's error (naming its database). */
  private failAll(error: Error | ((shown: string) => Error)): void {
    clearTimeout(this.startupTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(typeof error === "function" ? error(p.shown) : error);
    }
  }

  private ensureChild(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const child = spawn(process.execPath, [expmanBin(), "serve", "--direct"], {
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
    });
    this.child = child;
    this.stderrTail = "";
    this.ready = false;
    this.startupTimer = setTimeout(() => {
      if (this.child !== child) return;
      this.child = undefined;
      child.kill("SIGKILL");
      this.failAll(
        (shown) =>
          new QueryFailure(-32603, `The reader of ${shown} did not start within ${STARTUP_MS} ms.`, {
            reason: READER_LOST,
          }),
      );
    }, STARTUP_MS);
    readline.createInterface({ input: child.stdout }).on("line", (line) => this.onLine(line));
    child.stderr.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    child.stdin.on("error", () => {
      /* the exit handler reports it */
    });
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const tail = this.stderrTail.trim() ? `: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : "";
      this.failAll(
        (shown) =>
          new QueryFailure(-32603, `The reader of ${shown} exited (${signal ?? `code ${code}`})${tail}`, {
            reason: READER_LOST,
          }),
      );
    });
    return child;
  }

  private onLine(line: string): void {
    let message: { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if ((message as { method?: unknown }).method === READY_NOTIFICATION) {
      clearTimeout(this.startupTimer);
      this.ready = true;
      for (const then of this.readyWaiters.splice(0)) then();
      for (const p of this.pending.values())
        p.timer ??= setTimeout(() => this.timedOut(p.method, p.shown), this.timeoutMs);
      return;
    }
    if (typeof message.id !== "number") return;
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    clearTimeout(p.timer);
    if (message.error) p.reject(new QueryFailure(message.error.code, message.error.message, message.error.data));
    else p.resolve(message.result);
  }
}
