import * as path from "node:path";
import * as readline from "node:readline";
import { QueryErrorCode, type QueryMethod, type QueryMethods } from "../../results/contract";
import { ResultsNotFoundError, TrackingDbError } from "../../results/store";
import { openResults, type ResultsReader } from "../../results/open";
import { parse } from "../args";

const USAGE = `Usage: expman serve

The query service for the editor: JSON-RPC 2.0 over stdio, one JSON message per line.
Methods and shapes: runtime/src/results/contract.ts (QueryMethods). Every request names its
database ("db"); each opened file stays open until db.close or exit. A database that cannot be
opened answers an error for that request only; the service keeps serving.`;

interface Request {
  jsonrpc: "2.0";
  id?: number | string | null;
  method: string;
  params?: Record<string, unknown>;
}

type Handler = (params: Record<string, any>) => unknown;

/** Answers query methods against open stores, one store per database file. */
export class QueryService {
  private readonly stores = new Map<string, ResultsReader>();

  private store(db: unknown): ResultsReader {
    if (typeof db !== "string" || db === "") throw new RpcError(-32602, "params.db (the database file path) is required");
    const file = path.resolve(db);
    let store = this.stores.get(file);
    if (!store) {
      store = openResults(file);
      this.stores.set(file, store);
    }
    return store;
  }

  private readonly handlers: Record<QueryMethod, Handler> = {
    "db.open": (p) => {
      const s = this.store(p.path ?? p.db);
      return { path: s.file, schemaVersion: s.schemaVersion };
    },
    "experiments.list": (p) => this.store(p.db).listExperiments(),
    "trials.list": (p) => this.store(p.db).listTrials(num(p.experimentId, "experimentId")),
    "runs.list": (p) => this.store(p.db).listRuns({ experimentId: p.experimentId, trialId: p.trialId }),
    "run.get": (p) => this.store(p.db).getRun(num(p.runId, "runId")),
    "epochs.list": (p) => this.store(p.db).listEpochs(num(p.runId, "runId")),
    "series.keys": (p) => this.store(p.db).seriesKeys(num(p.runId, "runId")),
    "series.get": (p) => {
      const { db: _db, ...query } = p;
      num(query.runId, "runId");
      if (typeof query.key !== "string") throw new RpcError(-32602, "params.key must be a string");
      return this.store(p.db).getSeries(query as QueryMethods["series.get"]["params"]);
    },
    "checkpoints.list": (p) => this.store(p.db).listCheckpoints(num(p.runId, "runId")),
    "artifacts.list": (p) => {
      const store = this.store(p.db);
      if (p.experimentId !== undefined) return store.listExperimentArtifacts(num(p.experimentId, "experimentId"));
      if (p.trialId !== undefined) return store.listTrialArtifacts(num(p.trialId, "trialId"));
      return store.listArtifacts(num(p.runId, "runId"));
    },
    "db.close": (p) => {
      const file = path.resolve(String(p.db));
      const store = this.stores.get(file);
      store?.close();
      this.stores.delete(file);
      return { closed: Boolean(store) };
    },
  };

  /** One request in, one response out (undefined for notifications). */
  handle(message: unknown): object | undefined {
    const req = message as Request;
    const id = req && typeof req === "object" && "id" in req ? req.id ?? null : undefined;
    try {
      if (!req || req.jsonrpc !== "2.0" || typeof req.method !== "string") throw new RpcError(-32600, "Invalid Request");
      const handler = (this.handlers as Record<string, Handler | undefined>)[req.method];
      if (!handler) throw new RpcError(-32601, `Method not found: ${req.method}`);
      const result = handler(req.params ?? {});
      return id === undefined ? undefined : { jsonrpc: "2.0", id, result: result ?? null };
    } catch (error) {
      if (id === undefined) return undefined;
      return { jsonrpc: "2.0", id, error: toRpcError(error) };
    }
  }

  close(): void {
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
  }
}

class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

function num(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RpcError(-32602, `params.${name} must be a number`);
  return value;
}

function toRpcError(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof RpcError) return { code: error.code, message: error.message, data: error.data };
  if (error instanceof ResultsNotFoundError) return { code: QueryErrorCode.NOT_FOUND, message: error.message };
  if (error instanceof TrackingDbError) {
    const code = error.code === "DB_NOT_FOUND" ? QueryErrorCode.DB_NOT_FOUND : QueryErrorCode.DB_UNREADABLE;
    return { code, message: error.message, data: { reason: error.code } };
  }
  return { code: -32603, message: (error as Error)?.message ?? String(error) };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { help: { type: "boolean", short: "h" } }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const service = new QueryService();
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of input) {
    if (line.trim() === "") continue;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } })}\n`);
      continue;
    }
    const response = service.handle(message);
    if (response) process.stdout.write(`${JSON.stringify(response)}\n`);
  }
  service.close();
  return 0;
}
