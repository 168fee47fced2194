import * as path from "node:path";
import * as readline from "node:readline";
import { QueryErrorCode, type QueryMethod, type QueryMethods, type SeriesQuery } from "../../results/contract";
import { ResultsNotFoundError, ResultsStore, TrackingDbError } from "../../results/store";
import { DEFAULT_PAGE, pageTrials, trialOrder, trialStatsFromRuns } from "../../results/trial-page";
import { openResults, type ResultsReader } from "../../results/open";
import { isPostgresUrl } from "../../tracking/db/sql";
import { isScope } from "../../common/vocabulary";
import { parse } from "../args";
import { QueryFailure, queryTimeoutMs, READY_NOTIFICATION } from "../reader-process";
import { ReaderPool } from "../reader-pool";
import { ClusterWatch, RECONCILE_METHOD, reconcileAnswer } from "../../executors/cluster-watch";

/** Methods whose answers show run statuses: the cluster's word is brought into the store first. */
const SHOWS_STATUS: ReadonlySet<QueryMethod> = new Set([
  "experiments.list",
  "trials.list",
  "trials.page",
  "runs.list",
  "run.get",
]);

const USAGE = `Usage: expman serve [--timeout MS]

The query service for the editor: JSON-RPC 2.0 over stdio, one JSON message (or batch) per
line. Methods and shapes: runtime/src/results/contract.ts (QueryMethods). Every request names
its database ("db"). Databases are read in child processes with a deadline per query
(--timeout, default 15000 ms): a crafted or damaged file answers DB_TIMEOUT (-32003) for that
request only, and the other databases keep answering. Quick files share one reader; a file
that is slow, or misses a deadline, gets a reader of its own. --direct reads in this process
(what each reader runs).`;

/** JSON-RPC params as received: anything. Each method's checker turns them into its type. */
type RawParams = Record<string, unknown>;

/** Per method: check the params (naming what is wrong), then answer from the store. */
type MethodTable = {
  [M in QueryMethod]: {
    params(p: RawParams): QueryMethods[M]["params"];
    answer(store: ResultsReader, p: QueryMethods[M]["params"]): QueryMethods[M]["result"];
  };
};

const METHODS: MethodTable = {
  "db.open": {
    params: (p) => ({ path: str(p.path ?? p.db, "path") }),
    answer: (s) => ({ path: s.file, schemaVersion: s.schemaVersion }),
  },
  "experiments.list": { params: (p) => ({ db: db(p) }), answer: (s) => s.listExperiments() },
  "trials.list": {
    params: (p) => ({ db: db(p), experimentId: num(p.experimentId, "experimentId") }),
    answer: (s, p) => s.listTrials(p.experimentId),
  },
  "trials.page": {
    params: (p) => ({
      db: db(p),
      experimentId: num(p.experimentId, "experimentId"),
      offset: optNum(p.offset, "offset"),
      limit: optNum(p.limit, "limit"),
    }),
    answer: (s, p) => trialsPageOf(s, p.experimentId, p.offset, p.limit),
  },
  "runs.list": {
    params: (p) => ({
      db: db(p),
      experimentId: optNum(p.experimentId, "experimentId"),
      trialId: optNum(p.trialId, "trialId"),
      offset: optNum(p.offset, "offset"),
      limit: optNum(p.limit, "limit"),
    }),
    answer: (s, p) => {
      const filter = { experimentId: p.experimentId, trialId: p.trialId };
      if (p.limit === undefined) return s.listRuns(filter);
      if (s instanceof ResultsStore) return s.listRuns({ ...filter, offset: p.offset, limit: p.limit });
      const start = Math.max(0, Math.floor(p.offset ?? 0));
      return s.listRuns(filter).slice(start, start + Math.max(0, Math.floor(p.limit)));
    },
  },
  "run.get": { params: (p) => ({ db: db(p), runId: num(p.runId, "runId") }), answer: (s, p) => s.getRun(p.runId) },
  "run.config": {
    params: (p) => ({ db: db(p), runId: num(p.runId, "runId") }),
    answer: (s, p) => s.runConfig(p.runId),
  },
  "epochs.list": {
    params: (p) => ({ db: db(p), runId: num(p.runId, "runId") }),
    answer: (s, p) => s.listEpochs(p.runId),
  },
  "series.keys": {
    params: (p) => ({ db: db(p), runId: num(p.runId, "runId") }),
    answer: (s, p) => s.seriesKeys(p.runId),
  },
  "series.get": {
    params: (p) => {
      if (p.scope !== undefined && !isScope(p.scope))
        throw new RpcError(-32602, "params.scope must be batch, epoch or run");
      const query: SeriesQuery = {
        runId: num(p.runId, "runId"),
        key: str(p.key, "key"),
        scope: p.scope as SeriesQuery["scope"],
        label: p.label === undefined ? undefined : str(p.label, "label"),
        buckets: optNum(p.buckets, "buckets"),
        minStep: optNum(p.minStep, "minStep"),
        maxStep: optNum(p.maxStep, "maxStep"),
        afterStep: optNum(p.afterStep, "afterStep"),
      };
      return { db: db(p), ...query };
    },
    answer: (s, { db: _db, ...query }) => s.getSeries(query),
  },
  "series.text": {
    params: (p) => ({
      db: db(p),
      runId: num(p.runId, "runId"),
      key: p.key === undefined ? undefined : str(p.key, "key"),
    }),
    answer: (s, p) => s.textValues(p.runId, p.key),
  },
  "checkpoints.list": {
    params: (p) => ({ db: db(p), runId: num(p.runId, "runId") }),
    answer: (s, p) => s.listCheckpoints(p.runId),
  },
  "artifacts.list": {
    params: (p) => ({
      db: db(p),
      runId: optNum(p.runId, "runId"),
      trialId: optNum(p.trialId, "trialId"),
      experimentId: optNum(p.experimentId, "experimentId"),
    }),
    answer: (s, p) => {
      if (p.experimentId !== undefined) return s.listExperimentArtifacts(p.experimentId);
      if (p.trialId !== undefined) return s.listTrialArtifacts(p.trialId);
      return s.listArtifacts(num(p.runId, "runId"));
    },
  },
  "db.close": { params: (p) => ({ db: db(p) }), answer: () => ({ closed: true }) },
};

/** A page of trials: the store's grouped queries, or (other readers) sorted from their run lists. */
function trialsPageOf(s: ResultsReader, experimentId: number, offset = 0, limit = DEFAULT_PAGE) {
  if (s.trialsPage) return s.trialsPage(experimentId, offset, limit);
  const trials = s.listTrials(experimentId);
  const order = trialOrder(undefined, trials.length);
  const byId = new Map(trials.map((t) => [t.id, t]));
  return pageTrials(trialStatsFromRuns(trials, s.listRuns({ experimentId })), order, offset, limit, (ids) =>
    ids.map((id) => byId.get(id)!),
  );
}

/** Only the table's own entries are methods: never `toString`, `constructor`, `__proto__`. */
function isMethod(name: unknown): name is QueryMethod {
  return typeof name === "string" && Object.hasOwn(METHODS, name);
}

interface Request {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type Response = {
  jsonrpc: "2.0";
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

/** The request's id, or undefined for a notification (no answer). */
function idOf(message: unknown): unknown {
  return message && typeof message === "object" && "id" in message ? ((message as Request).id ?? null) : undefined;
}

/** Checks the envelope and the params; throws RpcError for what is wrong. */
function checkRequest(message: unknown): { method: QueryMethod; params: RawParams } {
  const req = message as Request;
  if (!req || typeof req !== "object" || Array.isArray(req) || req.jsonrpc !== "2.0" || typeof req.method !== "string")
    throw new RpcError(-32600, "Invalid Request");
  if (!isMethod(req.method)) throw new RpcError(-32601, `Method not found: ${req.method}`);
  const params = req.params ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params))
    throw new RpcError(-32602, "params must be an object");
  return { method: req.method, params: params as RawParams };
}

/** Answers query methods in this process, one open store per database file (`serve --direct`). */
export class QueryService {
  private readonly stores = new Map<string, ResultsReader>();

  private store(file: string): ResultsReader {
    const abs = storeKey(file);
    let store = this.stores.get(abs);
    if (!store) {
      store = openResults(abs);
      this.stores.set(abs, store);
    }
    return store;
  }

  private answer<M extends QueryMethod>(method: M, raw: RawParams): QueryMethods[M]["result"] {
    const entry = METHODS[method];
    const params = entry.params(raw);
    if (method === "db.close") {
      const file = storeKey((params as { db: string }).db);
      const store = this.stores.get(file);
      store?.close();
      this.stores.delete(file);
      return { closed: Boolean(store) } as QueryMethods[M]["result"];
    }
    const file = method === "db.open" ? (params as { path: string }).path : (params as { db: string }).db;
    return entry.answer(this.store(file), params);
  }

  /** One message (or a batch) in; the response(s) out (undefined when nothing is to be answered). */
  handle(message: unknown): object | undefined {
    if (Array.isArray(message)) return batch(message.map((m) => this.handleOne(m)));
    return this.handleOne(message);
  }

  private handleOne(message: unknown): Response | undefined {
    const id = idOf(message);
    try {
      const { method, params } = checkRequest(message);
      const result = this.answer(method, params);
      return id === undefined ? undefined : { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      return id === undefined ? undefined : { jsonrpc: "2.0", id, error: toRpcError(error) };
    }
  }

  close(): void {
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
  }
}

/**
 * The service the editor talks to: checks each request, then hands it to the reader process
 * that reads its database (../reader-pool.ts), so one file that hangs costs that file's
 * requests a DB_TIMEOUT and the others at most a short wait. Answers are written as they come (ids match them up).
 */
export class QueryRouter {
  private readonly readers: ReaderPool;

  constructor(
    timeoutMs: number = queryTimeoutMs(),
    /** Runs on Slurm: what only the cluster knows reaches the store before statuses are read. */
    private readonly cluster = new ClusterWatch({
      reconcile: (file) => this.readers.send(file, RECONCILE_METHOD, { db: file }) as Promise<{ open: boolean }>,
    }),
  ) {
    this.readers = new ReaderPool(timeoutMs);
  }

  async handle(message: unknown): Promise<object | undefined> {
    if (Array.isArray(message)) return batch(await Promise.all(message.map((m) => this.handleOne(m))));
    return this.handleOne(message);
  }

  private async handleOne(message: unknown): Promise<Response | undefined> {
    const id = idOf(message);
    try {
      const { method, params } = checkRequest(message);
      const checked = METHODS[method].params(params) as { db?: string; path?: string };
      const file = storeKey(checked.db ?? checked.path!);
      let result: unknown;
      if (method === "db.close") {
        result = { closed: await this.readers.closeFile(file) };
      } else {
        if (SHOWS_STATUS.has(method)) await this.cluster.before(file);
        result = await this.readers.send(file, method, checked);
      }
      return id === undefined ? undefined : { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      return id === undefined ? undefined : { jsonrpc: "2.0", id, error: toRpcError(error) };
    }
  }

  close(): void {
    this.readers.close();
  }
}

/** A batch's answer: the responses to its requests (none for notifications); an empty batch is invalid. */
function batch(responses: (Response | undefined)[]): object | undefined {
  if (responses.length === 0)
    return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: empty batch" } };
  const out = responses.filter((r): r is Response => r !== undefined);
  return out.length > 0 ? out : undefined;
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

function db(p: RawParams): string {
  return str(p.db, "db", "params.db (the database file path) is required");
}

function str(value: unknown, name: string, message = `params.${name} must be a non-empty string`): string {
  if (typeof value !== "string" || value === "") throw new RpcError(-32602, message);
  return value;
}

function num(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new RpcError(-32602, `params.${name} must be a number`);
  return value;
}

function optNum(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : num(value, name);
}

function toRpcError(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof RpcError || error instanceof QueryFailure)
    return { code: error.code, message: error.message, data: error.data };
  if (error instanceof ResultsNotFoundError) return { code: QueryErrorCode.NOT_FOUND, message: error.message };
  if (error instanceof TrackingDbError) {
    const code =
      error.code === "DB_NOT_FOUND"
        ? QueryErrorCode.DB_NOT_FOUND
        : error.code === "DB_TIMEOUT"
          ? QueryErrorCode.DB_TIMEOUT
          : QueryErrorCode.DB_UNREADABLE;
    return { code, message: error.message, data: { reason: error.code } };
  }
  return { code: -32603, message: (error as Error)?.message ?? String(error) };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { help: { type: "boolean", short: "h" }, direct: { type: "boolean" }, timeout: { type: "string" } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const service = values.direct ? new QueryService() : new QueryRouter(queryTimeoutMs(values.timeout));
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const write = (response: object | undefined) => {
    if (response) process.stdout.write(`${JSON.stringify(response)}\n`);
  };
  // A per-file reader's deadlines start now (its start-up is not the file's fault).
  if (values.direct) write({ jsonrpc: "2.0", method: READY_NOTIFICATION });
  const inFlight = new Set<Promise<void>>();
  for await (const line of input) {
    if (line.trim() === "") continue;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      write({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      continue;
    }
    const answered = Promise.resolve(
      values.direct && isReconcile(message) ? answerReconcile(message) : service.handle(message),
    ).then(write);
    inFlight.add(answered);
    void answered.finally(() => inFlight.delete(answered));
  }
  await Promise.all(inFlight);
  service.close();
  return 0;
}

/** RECONCILE_METHOD, which only a reader process answers (its service sends it; see cluster-watch.ts). */
function isReconcile(message: unknown): message is Request & { params: { db: string } } {
  const m = message as Request | null;
  return (
    !!m &&
    typeof m === "object" &&
    m.method === RECONCILE_METHOD &&
    typeof (m.params as { db?: unknown } | undefined)?.db === "string"
  );
}

async function answerReconcile(message: Request & { params: { db: string } }): Promise<Response> {
  try {
    return { jsonrpc: "2.0", id: message.id ?? null, result: await reconcileAnswer(storeKey(message.params.db)) };
  } catch (error) {
    return { jsonrpc: "2.0", id: message.id ?? null, error: toRpcError(error) };
  }
}

/** A store's key: the absolute path of a SQLite file, or the PostgreSQL URL as given. */
function storeKey(target: string): string {
  return isPostgresUrl(target) ? target : path.resolve(target);
}
