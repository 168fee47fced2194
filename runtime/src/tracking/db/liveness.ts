import * as os from "node:os";

/**
 * Is the writer of a RUNNING experiment still there? Each experiment row records its writer's
 * pid and host, and (schema 6) a heartbeat the writer refreshes every HEARTBEAT_MS. A writer is
 * gone when its heartbeat is older than STALE_AFTER_MS (this covers a reused pid and another
 * host), or, on this host, when its pid no longer exists.
 */

/** How often a writer refreshes `experiment.heartbeat`. */
export const HEARTBEAT_MS = 5_000;
/** A heartbeat older than this means the writer stopped (12 missed beats; allows long GC pauses). */
export const STALE_AFTER_MS = 60_000;

export interface WriterInfo {
  status: string;
  pid: number | null;
  host: string | null;
  /** Last heartbeat (ms); null or absent for files from before schema 6. */
  heartbeat?: number | null;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, not ours). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Memoises liveness per pid for the span of one query. */
export class WriterLiveness {
  private readonly host = os.hostname();
  private readonly cache = new Map<number, boolean>();
  private readonly now = Date.now();

  /** True when the writer of this experiment certainly stopped. */
  writerGone(writer: WriterInfo): boolean {
    if (this.heartbeatStopped(writer)) return true;
    if (writer.pid === null || writer.host !== this.host) return false;
    let alive = this.cache.get(writer.pid);
    if (alive === undefined) {
      alive = pidAlive(writer.pid);
      this.cache.set(writer.pid, alive);
    }
    return !alive;
  }

  heartbeatStopped(writer: WriterInfo): boolean {
    return typeof writer.heartbeat === "number" && this.now - writer.heartbeat > STALE_AFTER_MS;
  }

  /**
   * The status to show for an entity of this experiment: RUNNING becomes ABORTED when the
   * writer is gone, or when the experiment itself already ended (its writer closed without
   * ending this entity).
   */
  effective(status: string, writer: WriterInfo, isExperiment = false): string {
    // A planned run (QUEUED) waits for its experiment's coordinator: gone, it never starts.
    if (status !== "RUNNING" && !(status === "QUEUED" && !isExperiment)) return status;
    if (!isExperiment && writer.status !== "RUNNING") return "ABORTED";
    return this.writerGone(writer) ? "ABORTED" : status;
  }

  /** Why a RUNNING entity is shown ABORTED, in words (undefined when it is not). */
  explain(writer: WriterInfo): string | undefined {
    if (writer.status !== "RUNNING" || !this.writerGone(writer)) return undefined;
    const who = `pid ${writer.pid ?? "?"} on ${writer.host ?? "an unknown host"}`;
    if (this.heartbeatStopped(writer))
      return `No heartbeat since ${new Date(writer.heartbeat!).toISOString()} from its writer (${who}): it stopped without ending the run.`;
    return `Its writer (${who}) is gone: it stopped without ending the run.`;
  }
}
