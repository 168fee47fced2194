/** Why a tracking database cannot be used. The query service maps these to its error codes. */
export type TrackingDbErrorCode =
  | "DB_NOT_FOUND"
  | "DB_UNREADABLE"
  | "DB_LOCKED"
  | "DB_NEWER"
  /** A writer cannot write: disk full, I/O error, read-only file or mount, corrupt pages. */
  | "DB_UNWRITABLE"
  /** Another live process writes the file (a `recreate: true` would delete its data). */
  | "DB_IN_USE"
  /** A query did not finish within its deadline (a crafted or damaged file). */
  | "DB_TIMEOUT";

/** A database that cannot be opened or read, with the file and the reason in the message. */
export class TrackingDbError extends Error {
  readonly code: TrackingDbErrorCode;
  readonly file: string;
  /**
   * Set when the error ends the writer for good (the run cannot be tracked any more): the
   * tracker manager then fails the run at its next epoch or batch instead of training on.
   */
  fatal = false;
  constructor(code: TrackingDbErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TrackingDbError";
    this.code = code;
    this.file = file;
  }
}

/** Whether an error ends its tracker for good (see TrackingDbError.fatal). */
export function isFatalTrackerError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { fatal?: unknown }).fatal === true;
}
