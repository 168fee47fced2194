/**
 * The results API: read-only queries over tracking databases (./store.ts), the query-service
 * dispatcher (./query-handler.ts), stale-run recovery (./stale.ts). Loads better-sqlite3 only
 * when a database is opened.
 */
export * from "./contract";
export { ResultsStore, ResultsNotFoundError, type TextPoint } from "./store";
export { QueryHandler, queryErrorOf } from "./query-handler";
export { recoverStale, pidAlive, type RecoveryReport } from "./stale";
export { BucketReducer } from "./downsample";
export { TrackingDbError, type TrackingDbErrorCode } from "../tracking/db/errors";
