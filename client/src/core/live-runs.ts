/**
 * Liveness from run events: what a running run is doing right now (status, epoch of total),
 * keyed by the run's uid (the database's `uid`). The database stays the source of truth; this
 * only fills the gap between flushes so the tree moves while a run trains.
 */
import type { RunEvent, RunStatusName } from "@expman/runtime/contracts";
import { Emitter } from "./emitter";

export interface LiveRun {
  uid: string;
  status: RunStatusName;
  epoch: number | null;
  epochs: number | null;
  updatedAt: number;
  /** `no checkpoint saved: <why>` when the run's CheckpointCallback could save nothing. */
  noCheckpoint?: string;
}

export class LiveRuns {
  private readonly byUid = new Map<string, LiveRun>();
  private readonly changed = new Emitter<LiveRun>();
  readonly onDidChange = this.changed.event;

  get(uid: string): LiveRun | undefined {
    return this.byUid.get(uid);
  }

  /** Feeds one event; returns whether something visible changed (a run started/ended, an epoch ended, a checkpoint). */
  apply(event: RunEvent): boolean {
    const uid = "ids" in event ? event.ids?.run : undefined;
    if (!uid) return false;
    const current = this.byUid.get(uid) ?? {
      uid,
      status: "RUNNING" as RunStatusName,
      epoch: null,
      epochs: null,
      updatedAt: Date.now(),
    };
    let visible = false;
    if (event.kind === "lifecycle" && event.level === "trial_run") {
      current.status = event.phase === "end" ? (event.status ?? "SUCCESS") : "RUNNING";
      visible = true;
    } else if (event.kind === "progress") {
      current.epoch = event.epoch;
      current.epochs = event.epochs;
      visible = true;
    } else if (
      event.kind === "checkpoint" ||
      (event.kind === "lifecycle" && event.level === "epoch" && event.phase === "end")
    ) {
      visible = true;
    }
    current.updatedAt = Date.now();
    this.byUid.set(uid, current);
    if (visible) this.changed.fire(current);
    return visible;
  }

  /** Notes that a run saved no checkpoint (and why); the tree shows it on the run. */
  noteNoCheckpoint(uid: string, why: string): void {
    const current = this.byUid.get(uid) ?? {
      uid,
      status: "RUNNING" as RunStatusName,
      epoch: null,
      epochs: null,
      updatedAt: Date.now(),
    };
    if (current.noCheckpoint === why) return;
    current.noCheckpoint = why;
    this.byUid.set(uid, current);
    this.changed.fire(current);
  }

  /** Marks every run still RUNNING as ended (its process exited without an end event). */
  settle(uids: Iterable<string>, status: RunStatusName): void {
    for (const uid of uids) {
      const r = this.byUid.get(uid);
      if (r && r.status === "RUNNING") {
        r.status = status;
        this.changed.fire(r);
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
