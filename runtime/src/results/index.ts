/**
 * The results API: read-only queries over tracking databases (./store.ts) and stale-run
 * recovery (./stale.ts). Loads better-sqlite3 only when a database is opened.
 */
export * from "./contract";
export { ResultsStore, ResultsNotFoundError } from "./store";
export { openResults, openPythonOriginal, type ResultsReader } from "./open";
export { PythonOriginalStore, PYTHON_NOT_RECORDED } from "./python-original";
export { recoverStale, pidAlive, type RecoveryReport } from "./stale";
export { BucketReducer } from "./downsample";
export { TrackingDbError, type TrackingDbErrorCode } from "../tracking/db/errors";
