import * as fs from "node:fs";
import * as path from "node:path";
import { TrackingDbError } from "../tracking/db/errors";
import { QueryErrorCode, type QueryMethod, type QueryMethods } from "./contract";
import { ResultsNotFoundError, ResultsStore } from "./store";

/**
 * The methods of ./contract.ts `QueryMethods` over any number of database files: what
 * `expman serve` needs besides its JSON-RPC framing. Stores are opened on first use and kept;
 * a file replaced on disk (a run with `recreate: true`) is noticed by its inode and reopened,
 * so the service never keeps reading a deleted file.
 */
export class QueryHandler {
  private readonly stores = new Map<string, { store: ResultsStore; ino: number }>();

  handle<M extends QueryMethod>(method: M, params: QueryMethods[M]["params"]): QueryMethods[M]["result"] {
    const p = params as Record<string, any>;
    if (typeof p?.db !== "string" && method !== "db.open") throw new TypeError(`${method}: the 'db' parameter (path of the database file) is required.`);
    switch (method as QueryMethod) {
      case "db.open": {
        const file = requireString(p.path ?? p.db, "path", method);
        const store = this.store(file);
        return { path: store.file, schemaVersion: store.schemaVersion } as QueryMethods[M]["result"];
      }
      case "db.close": {
        const file = path.resolve(p.db);
        const entry = this.stores.get(file);
        entry?.store.close();
        this.stores.delete(file);
        return { closed: entry !== undefined } as QueryMethods[M]["result"];
      }
      case "experiments.list":
        return this.store(p.db).listExperiments() as QueryMethods[M]["result"];
      case "trials.list":
        return this.store(p.db).listTrials(requireNumber(p.experimentId, "experimentId", method)) as QueryMethods[M]["result"];
      case "runs.list":
        return this.store(p.db).listRuns({ experimentId: optionalNumber(p.experimentId), trialId: optionalNumber(p.trialId) }) as QueryMethods[M]["result"];
      case "run.get":
        return this.store(p.db).getRun(requireNumber(p.runId, "runId", method)) as QueryMethods[M]["result"];
      case "epochs.list":
        return this.store(p.db).listEpochs(requireNumber(p.runId, "runId", method)) as QueryMethods[M]["result"];
      case "series.keys":
        return this.store(p.db).seriesKeys(requireNumber(p.runId, "runId", method)) as QueryMethods[M]["result"];
      case "series.get": {
        const { db: _db, ...query } = p;
        requireNumber(query.runId, "runId", method);
        requireString(query.key, "key", method);
        return this.store(p.db).getSeries(query as QueryMethods["series.get"]["params"]) as QueryMethods[M]["result"];
      }
      case "checkpoints.list":
        return this.store(p.db).listCheckpoints(requireNumber(p.runId, "runId", method)) as QueryMethods[M]["result"];
      case "artifacts.list":
        return this.store(p.db).listArtifacts(requireNumber(p.runId, "runId", method)) as QueryMethods[M]["result"];
      default:
        throw new TypeError(`Unknown query method '${String(method)}'.`);
    }
  }

  closeAll(): void {
    for (const { store } of this.stores.values()) store.close();
    this.stores.clear();
  }

  private store(file: string): ResultsStore {
    const resolved = path.resolve(file);
    let ino: number;
    try {
      ino = fs.statSync(resolved).ino;
    } catch {
      this.stores.get(resolved)?.store.close();
      this.stores.delete(resolved);
      throw new TrackingDbError("DB_NOT_FOUND", resolved, `Tracking database ${resolved} does not exist. Run an experiment with a DBTracker first, or check the path.`);
    }
    const cached = this.stores.get(resolved);
    if (cached && cached.ino === ino) return cached.store;
    cached?.store.close();
    const store = new ResultsStore(resolved);
    this.stores.set(resolved, { store, ino });
    return store;
  }
}

/** The JSON-RPC error of a failed query: the service's codes for database and not-found errors. */
export function queryErrorOf(error: unknown): { code: number; message: string; data?: { file?: string; reason?: string } } {
  if (error instanceof TrackingDbError) {
    return {
      code: error.code === "DB_NOT_FOUND" ? QueryErrorCode.DB_NOT_FOUND : QueryErrorCode.DB_UNREADABLE,
      message: error.message,
      data: { file: error.file, reason: error.code },
    };
  }
  if (error instanceof ResultsNotFoundError) return { code: QueryErrorCode.NOT_FOUND, message: error.message };
  if (error instanceof TypeError) return { code: -32602, message: error.message }; // invalid params
  return { code: -32603, message: (error as Error)?.message ?? String(error) };
}

function requireNumber(value: unknown, name: string, method: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`${method}: '${name}' must be a number (got ${JSON.stringify(value)}).`);
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function requireString(value: unknown, name: string, method: string): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${method}: '${name}' must be a non-empty string (got ${JSON.stringify(value)}).`);
  return value;
}
