/**
 * The run-event stream: what `expman run --events <channel>` writes, one JSON object per line,
 * on a channel separate from the pipeline's own stdout/stderr. The extension reads it for
 * liveness only; the database stays the source of truth.
 *
 * Shared by the runtime (writer) and the extension (reader): both import this one file.
 */

import type { RunStatusName, Scope } from "../common/vocabulary";

export const EVENTS_VERSION = 1;

export type LevelName = "experiment" | "trial" | "trial_run" | "pipeline" | "epoch" | "batch";

export interface EventIds {
  experiment?: string;
  trial?: string;
  run?: string;
}

interface EventBase {
  v: typeof EVENTS_VERSION;
  /** Wall time, ms since the Unix epoch. */
  t: number;
}

/** create / start / end of a level. */
export interface LifecycleEvent extends EventBase {
  kind: "lifecycle";
  phase: "create" | "start" | "end";
  level: LevelName;
  ids: EventIds;
  /** Experiment title or trial name. */
  name?: string;
  /** Trial run: which repeat, its seed. Epoch/batch: index. */
  repeat?: number;
  seed?: number;
  epoch?: number;
  batch?: number;
  status?: RunStatusName;
  error?: { message: string; stack?: string };
  /** Experiment start: the database file (if a DBTracker is configured) and total planned runs. */
  db?: string;
  plannedRuns?: number;
  /** Trial-run start: the run's planned epoch count when the pipeline declares it. */
  workspace?: string;
}

export interface MetricsPoint {
  key: string;
  scope: Scope;
  step: number | null;
  /** Numbers as is; NaN/Infinity by name (common/non-finite.ts: encodeNumber, decodeNumber); other values as text. */
  value: number | string;
  time: number;
  /**
   * A per-label value (the original's `per_label_val`): `key` is `<metric>/<label>` and these
   * are the stored parts, so a live point reaches the same series (and chart) as the stored one.
   */
  metric?: string;
  label?: string;
}

/** Metric points of one run, batched (at most every 100 ms, or at level ends). */
export interface MetricsEvent extends EventBase {
  kind: "metrics";
  ids: EventIds;
  points: MetricsPoint[];
}

export interface ParamsEvent extends EventBase {
  kind: "params";
  ids: EventIds;
  params: Record<string, unknown>;
}

export interface CheckpointEvent extends EventBase {
  kind: "checkpoint";
  ids: EventIds;
  path: string;
  epoch: number | null;
  final: boolean;
  metrics: Record<string, number | string>;
}

export interface ArtifactEvent extends EventBase {
  kind: "artifact";
  ids: EventIds;
  path: string;
  type: string;
  level: LevelName;
}

/**
 * The start of the warning a run logs when CheckpointCallback could save nothing
 * (`no checkpoint saved: <why>`); the editor shows it on the run that was running.
 */
export const NO_CHECKPOINT_WARNING = "no checkpoint saved";

export interface LogEvent extends EventBase {
  kind: "log";
  level: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  message: string;
}

/** Something went wrong outside a run's own status (config, tracker, crash). */
export interface ErrorEvent extends EventBase {
  kind: "error";
  ids?: EventIds;
  message: string;
  stack?: string;
}

/** Progress for status bars: emitted at epoch ends. */
export interface ProgressEvent extends EventBase {
  kind: "progress";
  ids: EventIds;
  trial: string;
  repeat: number;
  repeats: number;
  epoch: number | null;
  epochs: number | null;
  runIndex: number;
  plannedRuns: number;
}

export type RunEvent =
  LifecycleEvent | MetricsEvent | ParamsEvent | CheckpointEvent | ArtifactEvent | LogEvent | ErrorEvent | ProgressEvent;

export type RunEventKind = RunEvent["kind"];

/** Parses one line of the stream; returns undefined for lines that are not events of this version. */
export function parseRunEvent(line: string): RunEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as Partial<RunEvent>;
    if (value && value.v === EVENTS_VERSION && typeof value.kind === "string") return value as RunEvent;
  } catch {
    /* a torn or foreign line: ignored, the database has the truth */
  }
  return undefined;
}
