import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

/**
 * A synchronous PostgreSQL connection. The tracking store's writer is synchronous (a metric
 * point is tracked in the training loop without an await) and so are the results API's
 * readers; `pg` is asynchronous. One worker thread owns the `pg` Client; the calling thread
 * posts a request and sleeps on a shared word (Atomics.wait) until the worker answers. Node's
 * documented pieces for this: worker_threads.receiveMessageOnPort and Atomics.
 *
 * The worker reconnects on the next request after a lost connection. Inside a transaction a
 * lost connection poisons the transaction until the caller rolls back: statements must never
 * run half on one connection and half, auto-committed, on the next.
 */

export interface BridgeError {
  message: string;
  /** SQLSTATE of a server error, or a Node error code (ECONNREFUSED ...). */
  code?: string;
  /** The connection is gone or could not be made: retrying later may succeed. */
  unavailable: boolean;
}

export type BridgeRequest = { kind: "query"; sql: string; params: unknown[]; rowMode?: "array" } | { kind: "end" };

export interface BridgeReply {
  rows?: unknown[];
  rowCount?: number;
  error?: BridgeError;
}

/**
 * The worker's source, run with `eval: true`: a string rather than a file, so that it loads the
 * same way from the TypeScript sources (tests through tsx), the built dist and a bundle.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const pg = require(workerData.pgPath);
const { url, connectTimeoutMs, queryTimeoutMs } = workerData;
const port = workerData.port;
const signal = new Int32Array(workerData.signal);
// int8 (counts, ids, times) and numeric (sums) as numbers, like SQLite gives them.
const types = {
  getTypeParser(oid, format) {
    if (format !== "binary" && (oid === 20 || oid === 1700)) return (v) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
};
let client = null;
let connecting = null;
let poisoned = false;
let depth = 0;
const UNAVAILABLE = /^(08|57P0|53300)|^E(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|NETUNREACH|TIMEDOUT|AI_AGAIN|NOTFOUND)$/;
function describe(error) {
  const code = error && (error.code || error.errno) ? String(error.code || error.errno) : undefined;
  const message = (error && error.message) || String(error);
  const unavailable =
    (code !== undefined && UNAVAILABLE.test(code)) ||
    /Connection terminated|timeout expired|Query read timeout|connection is closed|not queryable|ECONNREFUSED|ECONNRESET/i.test(message);
  return { message, code, unavailable };
}
async function connection() {
  if (client) return client;
  if (!connecting) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, query_timeout: queryTimeoutMs, types, application_name: "expman" });
    c.on("error", () => { if (client === c) client = null; if (depth > 0) poisoned = true; });
    c.on("end", () => { if (client === c) client = null; if (depth > 0) poisoned = true; });
    // A writer never waits long on another's row lock (it retries later, points buffered), and a
    // writer stopped mid-transaction (SIGSTOP) does not hold its locks for ever.
    connecting = c.connect().then(() => c.query("SET lock_timeout = 5000; SET idle_in_transaction_session_timeout = 60000")).then(() => { client = c; return c; }, (e) => { c.end().catch(() => {}); throw e; }).finally(() => { connecting = null; });
  }
  return connecting;
}
async function handle(req) {
  if (req.kind === "end") {
    const c = client;
    client = null;
    if (c) await c.end().catch(() => {});
    return {};
  }
  const verb = req.sql.slice(0, 20).trim().toUpperCase();
  if (verb.startsWith("ROLLBACK") && (poisoned || !client)) {
    if (!verb.startsWith("ROLLBACK TO")) { poisoned = false; depth = 0; }
    return { rows: [], rowCount: 0 };
  }
  if (poisoned) return { error: { message: "Connection lost inside a transaction; it was rolled back.", code: "08006", unavailable: true } };
  if (depth > 0 && !client) { poisoned = true; return { error: { message: "Connection lost inside a transaction; it was rolled back.", code: "08006", unavailable: true } }; }
  const c = await connection();
  try {
    const result = await c.query({ text: req.sql, values: req.params, rowMode: req.rowMode });
    if (verb.startsWith("BEGIN")) depth = 1;
    else if (verb.startsWith("COMMIT") || verb.startsWith("ROLLBACK") && !verb.startsWith("ROLLBACK TO")) depth = 0;
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (error) {
    const d = describe(error);
    if (d.unavailable) { if (client === c) client = null; c.end().catch(() => {}); if (depth > 0) poisoned = true; }
    return { error: d };
  }
}
port.on("message", async (req) => {
  let reply;
  try { reply = await handle(req); } catch (error) { reply = { error: describe(error) }; }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

export class SyncPgConnection {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;

  constructor(
    url: string,
    private readonly options: { connectTimeoutMs: number; queryTimeoutMs: number },
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pgPath: require.resolve("pg"),
        url,
        connectTimeoutMs: options.connectTimeoutMs,
        queryTimeoutMs: options.queryTimeoutMs,
        port: port2,
        signal: this.signal.buffer,
      },
      transferList: [port2],
    });
    // Neither keeps the process alive: a run ends when its work ends (the store closes first).
    this.worker.unref();
    this.port.unref();
  }

  /** Sends one request and waits for its answer (bounded: connect + query timeouts). */
  call(request: BridgeRequest): BridgeReply {
    if (this.closed) return { error: { message: "The PostgreSQL connection was closed.", unavailable: false } };
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    const limit = this.options.connectTimeoutMs + this.options.queryTimeoutMs + 5000;
    if (Atomics.wait(this.signal, 0, 0, limit) === "timed-out") {
      return { error: { message: `No answer from PostgreSQL within ${limit} ms.`, unavailable: true } };
    }
    const reply = receiveMessageOnPort(this.port);
    if (!reply) return { error: { message: "The PostgreSQL worker thread sent no answer.", unavailable: true } };
    return reply.message as BridgeReply;
  }

  close(): void {
    if (this.closed) return;
    this.call({ kind: "end" });
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

/** Sleeps the calling thread (a writer's backoff between reconnects; it has nothing else to do). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
