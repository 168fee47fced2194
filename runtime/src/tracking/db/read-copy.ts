/**
 * Readers never create or change a file beside a database (issue 13.8). A database in WAL mode
 * (its header says so for good, even once its writer is gone) cannot be opened by SQLite, not
 * even read-only, without the `-shm` wal-index: SQLite creates `-wal` and `-shm` beside it, or
 * rewrites a `-shm` a killed writer left. URI filenames (`?immutable=1`) would avoid that, but
 * better-sqlite3 12 is built with SQLITE_USE_URI=0 and opens without SQLITE_OPEN_URI, so a
 * `file:` name is taken as a plain file name; `PRAGMA query_only` still creates the files.
 * So when no live connection owns those files, a reader opens a private copy of the database
 * (and its `-wal`, whose committed frames SQLite then recovers into the copy) in a temporary
 * folder, removed when the reader closes. A database some process has open (a live writer)
 * is read in place: its `-wal`/`-shm` are the writer's, and the writer removes them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lockHolders } from "./lock-holders";

/** Whether the file's SQLite header says WAL mode (read and write format versions 2). */
export function isWalMode(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const header = Buffer.alloc(20);
    if (fs.readSync(fd, header, 0, 20, 0) < 20) return false;
    return header.toString("latin1", 0, 15) === "SQLite format 3" && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether a reader opening `file` in place would create or rewrite a file beside it. */
function readingInPlaceWouldWrite(file: string): boolean {
  if (!isWalMode(file)) return false;
  const canTell = fs.existsSync("/proc/locks");
  // A process (this one too) has it open, e.g. a writer: read in place, the files are its own.
  if (canTell && lockHolders(file, { includeSelf: true }).length > 0) return false;
  // No -shm: no connection has it open in shared-memory WAL mode (an exclusive-mode writer
  // keeps none, but holds a lock on the file, seen above where it can be).
  if (!fs.existsSync(`${file}-shm`)) return true;
  // A -shm nobody holds a lock on: a killed writer's. Known only where /proc/locks is.
  return canTell;
}

/** What identifies a database file's content for a reader: inode, size and time of it and its -wal. */
export function sourceStamp(file: string): string {
  const part = (f: string) => {
    try {
      const st = fs.statSync(f);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return "-";
    }
  };
  return `${part(file)}|${part(`${file}-wal`)}`;
}

/** The source stamp of each open connection that reads a private copy (for reopening when the original changes). */
const stampOfCopy = new WeakMap<object, string>();

/** Marks `db` as reading a copy of a file whose stamp was `stamp`. */
export function rememberCopy(db: object, stamp: string): void {
  stampOfCopy.set(db, stamp);
}

/** Whether `db` reads a private copy of `file` that no longer matches it (a writer went on). */
export function copyIsStale(db: object, file: string): boolean {
  const stamp = stampOfCopy.get(db);
  return stamp !== undefined && stamp !== sourceStamp(file);
}

const copies = new Set<string>();
let cleanupInstalled = false;

function removeCopy(dir: string): void {
  copies.delete(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The file a reader should open for `file`: `file` itself, or a private copy (see above) with
 * `dispose` removing it. The copy is a reflink where the file system has them.
 */
export function readSource(file: string): { path: string; copied: boolean; stamp?: string; dispose: () => void } {
  if (!readingInPlaceWouldWrite(file)) return { path: file, copied: false, dispose: () => undefined };
  const stamp = sourceStamp(file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "expman-read-"));
  copies.add(dir);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once("exit", () => {
      for (const d of [...copies]) removeCopy(d);
    });
  }
  try {
    const copy = path.join(dir, path.basename(file));
    fs.copyFileSync(file, copy, fs.constants.COPYFILE_FICLONE);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`, fs.constants.COPYFILE_FICLONE);
    return { path: copy, copied: true, stamp, dispose: () => removeCopy(dir) };
  } catch (error) {
    removeCopy(dir);
    throw error;
  }
}
