/**
 * The names every process shares: run statuses and metric scopes. Each is written here once;
 * the event and results contracts, the tracking store (its SQL CHECK constraints included), the
 * extension and the webview derive theirs from these. This module imports nothing, so the
 * webview bundle can take it as is.
 *
 * Adding a status is one line in `RunStatus` (next number) plus a schema migration that widens
 * the stored CHECK constraints (see `statusCheckMigration` in tracking/db/schema.ts).
 */

/** Run status, with the Python original's integer values (its `RunStatus` IntEnum). */
export enum RunStatus {
  RUNNING = 0,
  SUCCESS = 1,
  FINISHED = 2,
  FAILED = 3,
  ABORTED = 4,
  STOPPED = 5,
  SKIPPED = 6,
  /** Planned and waiting for a worker (the whole plan is written before anything runs). */
  QUEUED = 7,
}

/** A status as stored in the database and shown to users: `RUNNING`, `SUCCESS`, ... */
export type RunStatusName = keyof typeof RunStatus;

/** Every status name, in the enum's order. */
export const RUN_STATUS_NAMES: readonly RunStatusName[] = Object.keys(RunStatus).filter((k) =>
  Number.isNaN(Number(k)),
) as RunStatusName[];

export function runStatusName(status: RunStatus): RunStatusName {
  return RunStatus[status] as RunStatusName;
}

/** `success`, `SUCCESS` -> RunStatus.SUCCESS; undefined for anything else. */
export function parseRunStatus(name: string): RunStatus | undefined {
  const upper = name.toUpperCase();
  return isRunStatusName(upper) ? RunStatus[upper] : undefined;
}

export function isRunStatusName(value: unknown): value is RunStatusName {
  return typeof value === "string" && (RUN_STATUS_NAMES as readonly string[]).includes(value);
}

/** Where a metric point was tracked: inside a batch, inside an epoch, or at run level (final metrics). */
export const SCOPES = ["batch", "epoch", "run"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && (SCOPES as readonly string[]).includes(value);
}
