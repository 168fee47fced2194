/** Why a tracking database cannot be used. The query service maps these to its error codes. */
export type TrackingDbErrorCode = "DB_NOT_FOUND" | "DB_UNREADABLE" | "DB_LOCKED" | "DB_NEWER";

/** A database that cannot be opened or read, with the file and the reason in the message. */
export class TrackingDbError extends Error {
  readonly code: TrackingDbErrorCode;
  readonly file: string;
  constructor(code: TrackingDbErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TrackingDbError";
    this.code = code;
    this.file = file;
  }
}

