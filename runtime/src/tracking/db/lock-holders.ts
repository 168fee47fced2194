import * as fs from "node:fs";

/**
 * Who holds a SQLite file's locks, to name them when a writer cannot get the lock. SQLite uses
 * POSIX advisory locks on the database file (rollback journal) and on its `-shm` file (WAL:
 * the write lock is a byte of the -shm file). On Linux `/proc/locks` lists every such lock
 * with the holder's pid and the file's device and inode; elsewhere the answer is empty and
 * the message says "another process".
 */

export interface LockHolder {
  pid: number;
  /** The holder's command line, when this user may read it. */
  command?: string;
  /** Whether it holds a write lock (a read lock does not keep a writer out in WAL mode). */
  write: boolean;
}

/** Processes other than this one (unless `includeSelf`) holding locks on `file`, its `-shm` or its `-wal`. */
export function lockHolders(file: string, options: { includeSelf?: boolean } = {}): LockHolder[] {
  let table: string;
  try {
    table = fs.readFileSync("/proc/locks", "utf8");
  } catch {
    return [];
  }
  const inodes = new Set<string>();
  for (const f of [file, `${file}-shm`, `${file}-wal`]) {
    try {
      const st = fs.statSync(f, { bigint: true });
      inodes.add(`${st.ino}`);
    } catch {
      // not there: nobody locks it
    }
  }
  const byPid = new Map<number, LockHolder>();
  for (const line of table.split("\n")) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120" (OFD locks show pid -1)
    const m = /^\d+:\s+(?:->\s+)?(\S+)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
    if (!m || !inodes.has(m[4])) continue;
    const pid = Number(m[3]);
    if (pid <= 0 || (pid === process.pid && !options.includeSelf)) continue;
    const held = byPid.get(pid) ?? { pid, write: false, command: commandOf(pid) };
    held.write ||= m[2] === "WRITE";
    byPid.set(pid, held);
  }
  return [...byPid.values()].sort((a, b) => Number(b.write) - Number(a.write) || a.pid - b.pid);
}

/** "pid 1234 (sqlite3 /x/experiment.db)" for each holder, write locks first; or a fallback. */
export function describeLockHolders(holders: LockHolder[], fallback = "another process"): string {
  const writers = holders.filter((h) => h.write);
  const shown = writers.length > 0 ? writers : holders;
  if (shown.length === 0) return fallback;
  return shown.map((h) => `pid ${h.pid}${h.command ? ` (${h.command})` : ""}`).join(", ");
}

function commandOf(pid: number): string | undefined {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd || undefined;
  } catch {
    return undefined;
  }
}
