/**
 * Client of the query service (`<node> expman serve`): JSON-RPC 2.0 over the child's stdio,
 * one JSON message per line, typed by the runtime's `QueryMethods`. The child is started on
 * first use and again after it dies, so a crash costs one failed request, never the editor.
 * better-sqlite3 is loaded in that child (the user's Node), never in this process.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import * as readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { QueryMethod, QueryMethods } from "@expman/runtime/contracts";
import { runtimeEnv, type RuntimeLocation } from "./runtime-locator";

export class QueryError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly method: string,
    readonly db?: string,
  ) {
    super(message);
    this.name = "QueryError";
  }
}

/** Error codes used by this client for failures outside the service itself. */
export const CLIENT_ERROR = { SPAWN_FAILED: -32090, PROCESS_EXITED: -32091, TIMEOUT: -32092 } as const;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  method: string;
  db?: string;
  timer: NodeJS.Timeout;
}

export interface QueryClientOptions {
  node: string;
  runtime: RuntimeLocation;
  cwd?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export class QueryClient {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = "";
  private disposed = false;

  constructor(private readonly options: QueryClientOptions) {}

  get runtime(): RuntimeLocation {
    return this.options.runtime;
  }

  request<M extends QueryMethod>(method: M, params: QueryMethods[M]["params"]): Promise<QueryMethods[M]["result"]> {
    if (this.disposed)
      return Promise.reject(new QueryError("the query service was shut down", CLIENT_ERROR.PROCESS_EXITED, method));
    const db = (params as { db?: string }).db;
    let child;
    try {
      child = this.ensureChild();
    } catch (e) {
      return Promise.reject(
        new QueryError(e instanceof Error ? e.message : String(e), CLIENT_ERROR.SPAWN_FAILED, method, db),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new QueryError(
            `the query service did not answer ${method} within ${timeoutMs} ms; it was restarted`,
            CLIENT_ERROR.TIMEOUT,
            method,
            db,
          ),
        );
        // The service bounds each query itself (DB_TIMEOUT); not answering at all means it is
        // stuck (an older runtime, a hung process): stop it so the next request gets a fresh
        // one instead of queueing behind it until the window is reloaded.
        this.restart(child, `did not answer ${method} within ${timeoutMs} ms`);
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method, db, timer });
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  private ensureChild(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const { node, runtime, cwd } = this.options;
    const child = spawn(node, [runtime.cli, "serve"], {
      cwd,
      env: runtimeEnv(runtime),
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
    });
    this.child = child;
    this.stderrTail = "";
    this.options.log?.(
      `query service started: ${node} ${runtime.cli} serve (${runtime.source} runtime ${runtime.version}, pid ${child.pid ?? "?"})`,
    );
    readline.createInterface({ input: child.stdout }).on("line", (line) => this.onLine(line));
    child.stderr.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
    child.stdin.on("error", () => {
      /* the exit handler reports it */
    });
    const fail = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      const detail = this.stderrTail.trim() ? `: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : "";
      this.options.log?.(`query service ${why}${detail}`);
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new QueryError(`the query service ${why}${detail}`, CLIENT_ERROR.PROCESS_EXITED, p.method, p.db));
      }
    };
    child.on("error", (e: NodeJS.ErrnoException) =>
      fail(e.code === "ENOENT" ? `could not start ('${node}' not found)` : `failed: ${e.message}`),
    );
    child.on("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
    return child;
  }

  private onLine(line: string): void {
    let message: { id?: number; result?: unknown; error?: { code: number; message: string } };
    try {
      message = JSON.parse(line);
    } catch {
      this.options.log?.(`query service: ignored a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (typeof message.id !== "number") return;
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    clearTimeout(p.timer);
    if (message.error) p.reject(new QueryError(message.error.message, message.error.code, p.method, p.db));
    else p.resolve(message.result);
  }

  /** Stops a stuck service (ours), failing what waits on it; the next request starts a new one. */
  private restart(child: ChildProcessByStdio<Writable, Readable, Readable>, why: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.options.log?.(`query service ${why}: restarting it`);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new QueryError(`the query service ${why}; it was restarted`, CLIENT_ERROR.TIMEOUT, p.method, p.db));
    }
    child.kill("SIGKILL");
  }

  /** Stops the service; later requests fail. */
  dispose(): void {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new QueryError("the query service was shut down", CLIENT_ERROR.PROCESS_EXITED, p.method, p.db));
    }
    if (child) {
      child.stdin.end();
      setTimeout(() => child.exitCode === null && child.kill(), 1000).unref();
    }
  }
}
