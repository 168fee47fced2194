import * as path from "node:path";
import { loadSqlite, TrackingDbError } from "../tracking/db/connection";
import { isPythonOriginalDb, PythonOriginalStore } from "./python-original";
import { ResultsStore } from "./store";

/** What every reader answers: the results API of ./contract.ts, over one database file. */
export type ResultsReader = Pick<
  ResultsStore,
  | "file"
  | "schemaVersion"
  | "close"
  | "listExperiments"
  | "listTrials"
  | "listRuns"
  | "getRun"
  | "runConfig"
  | "listEpochs"
  | "seriesKeys"
  | "getSeries"
  | "textValues"
  | "listCheckpoints"
  | "listArtifacts"
  | "listExperimentArtifacts"
  | "listTrialArtifacts"
> &
  Partial<Pick<ResultsStore, "trialsPage">>;

/**
 * Opens a database for reading: an expman tracking database (ResultsStore), or one written by
 * the Python original's DBTracker (PythonOriginalStore, read-only, the file is never modified).
 * Anything else fails with the ResultsStore's error naming the file.
 */
export function openResults(file: string, options: { timeoutMs?: number } = {}): ResultsReader {
  try {
    return ResultsStore.open(file, options);
  } catch (error) {
    if (error instanceof TrackingDbError && error.code === "DB_UNREADABLE") {
      const original = openPythonOriginal(file, options);
      if (original) return original;
    }
    throw error;
  }
}

/** The Python original's database at `file`, opened read-only, or undefined when it is not one. */
export function openPythonOriginal(
  file: string,
  options: { timeoutMs?: number } = {},
): PythonOriginalStore | undefined {
  const Sqlite = loadSqlite();
  let db;
  try {
    db = new Sqlite(path.resolve(file), { readonly: true, fileMustExist: true, timeout: options.timeoutMs ?? 5000 });
    if (db.pragma("user_version", { simple: true }) === 0 && isPythonOriginalDb(db))
      return new PythonOriginalStore(db, file);
  } catch {
    /* not a database we can read: the caller reports its first error */
  }
  db?.close();
  return undefined;
}
