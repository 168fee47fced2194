import * as fs from "node:fs";
import * as path from "node:path";
import { TrackingDbError } from "./errors";
import { describeLockHolders, lockHolders } from "./lock-holders";
import { isPostgresUrl } from "./sql";

/**
 * What a writer does when SQLite refuses a write. A lock held by another process is waited
 * out without blocking training (./write-gate.ts retries); anything else (a full disk, an I/O
 * error, a read-only file or mount, corrupt pages) cannot get better by retrying: the store
 * fails for good with one of these errors, naming the file and the cause.
 */

/**
 * Worth retrying later: SQLITE_BUSY and SQLITE_LOCKED (someone else holds the lock), or, for a
 * PostgreSQL store, a lost connection, a deadlock or serialization failure (../pg/pg-db.ts).
 */
export function isBusy(error: unknown): boolean {
  if ((error as { unavailable?: unknown })?.unavailable === true) return true;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  if (code === "40001" || code === "40P01" || code === "55P03") return true;
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

/** The fatal error for a failed write, with the cause in words and what to do. */
export function writeFailure(file: string, error: unknown): TrackingDbError {
  if (error instanceof TrackingDbError && error.fatal) return error;
  const code = String((error as { code?: unknown })?.code ?? "");
  const message = (error as Error)?.message ?? String(error);
  const kept = "Points flushed before stay in the file; the run is stopped.";
  let text: string;
  if (
    code === "SQLITE_FULL" ||
    (error as NodeJS.ErrnoException)?.code === "ENOSPC" ||
    /disk is full|ENOSPC/i.test(message)
  ) {
    text = `Cannot write tracking database ${file}: the disk is full (ENOSPC; SQLite: ${message}; ${freeSpace(file)}). ${kept} Free some space and run again.`;
  } else if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM" || code === "SQLITE_AUTH") {
    text = `Cannot write tracking database ${file}: the file, its folder or its mount is read-only (${code}: ${message}). ${kept} Make it writable or point the DBTracker elsewhere.`;
  } else if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    text = `Cannot write tracking database ${file}: the file is damaged (${code}: ${message}). ${kept} Give the DBTracker another 'name' (or 'recreate: true' to replace it).`;
  } else if (code.startsWith("SQLITE_IOERR") || code === "SQLITE_CANTOPEN") {
    text = `Cannot write tracking database ${file}: I/O error (${code}: ${message}; ${freeSpace(file)}). ${kept}`;
  } else {
    text = `Cannot write tracking database ${file}: ${code ? `${code}: ` : ""}${message}. ${kept}`;
  }
  const failure = new TrackingDbError("DB_UNWRITABLE", file, text, { cause: error });
  failure.fatal = true;
  return failure;
}

/** The fatal error after waiting `waitedMs` for a lock: names who holds it. */
export function lockFailure(file: string, waitedMs: number, why = ""): TrackingDbError {
  if (isPostgresUrl(file)) {
    const lost = new TrackingDbError(
      "DB_LOCKED",
      file,
      `Cannot write the PostgreSQL tracking store ${file}: it has been unreachable (or its rows locked) for ${(waitedMs / 1000).toFixed(1)} s${why}. ` +
        `Points flushed before stay in the store; the run is stopped. Check the server (pg_lsclusters, its log) and the network, then run again (expman run --resume continues).`,
    );
    lost.fatal = true;
    return lost;
  }
  const holders = describeLockHolders(lockHolders(file));
  const failure = new TrackingDbError(
    "DB_LOCKED",
    file,
    `Cannot write tracking database ${file}: it has been locked by ${holders} for ${(waitedMs / 1000).toFixed(1)} s${why}. ` +
      `Points flushed before stay in the file; the run is stopped. End that process (or its open transaction) and run again.`,
  );
  failure.fatal = true;
  return failure;
}

function freeSpace(file: string): string {
  try {
    const st = fs.statfsSync(path.dirname(file));
    return `${formatBytes(Number(st.bavail) * Number(st.bsize))} free of ${formatBytes(Number(st.blocks) * Number(st.bsize))} on its file system`;
  } catch {
    return "free space unknown";
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}
