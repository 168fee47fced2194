/**
 * The results API: what the database holds, as the CLI (`ls`, `show`, `export`) and the query
 * service (`expman serve`, JSON-RPC 2.0 over stdio, one message per line) return it. Shared by
 * the runtime and the extension: both import this one file, so the shapes cannot drift.
 */

import type { NonFiniteName } from "../common/non-finite";
import type { RunStatusName, Scope } from "../common/vocabulary";

export interface ExperimentSummary {
  id: number;
  uid: string;
  title: string;
  desc: string;
  startTime: number;
  endTime: number | null;
  status: RunStatusName;
  trialCount: number;
  runCount: number;
  /** Config folder the experiment was run from, when known. */
  configDir: string | null;
  workspace: string | null;
  /** Set for a database written by the Python original's DBTracker (read-only here). */
  origin?: "python-original";
  /** What that database does not record (status, repeat, end time, ...): shown as such, not invented. */
  notRecorded?: string[];
  /**
   * How many of its runs are in each status (as readers report them: a RUNNING run whose
   * writer is gone counts ABORTED). Tells whether the experiment can be resumed.
   */
  runStatusCounts?: Partial<Record<RunStatusName, number>>;
}

export interface TrialSummary {
  id: number;
  uid: string;
  experimentId: number;
  name: string;
  startTime: number;
  endTime: number | null;
  runCount: number;
  workspace: string | null;
}

export interface RunSummary {
  id: number;
  uid: string;
  trialId: number;
  experimentId: number;
  trialName: string;
  experimentTitle: string;
  repeat: number;
  seed: number | null;
  status: RunStatusName;
  startTime: number;
  endTime: number | null;
  epochCount: number;
  /** Run-level params (logParams), flattened to dotted keys. */
  params: Record<string, unknown>;
  /** Last value of every metric key (all scopes; run scope wins, then epoch, then batch). */
  finalMetrics: Record<string, number>;
  /**
   * Smallest and largest value of every metric key in finalMetrics (same scope), from the
   * stored chunk ranges; NaN-only series have none. Absent in stores that cannot tell.
   */
  metricRanges?: Record<string, [number, number]>;
  /** The user's note on the run (`expman note`, the tree, the runs table); "" when none. */
  note?: string;
  /** The user's tags on the run, sorted, no duplicates. */
  tags?: string[];
  error: { message: string; stack?: string } | null;
  workspace: string | null;
  /** The scheduler task that runs it (Slurm: `<array job>_<index>`), when a scheduler does. */
  jobId?: string | null;
  /** A warning the run gave that stays with it, e.g. "no checkpoint saved: <why>" (schema 9). */
  warning?: string;
  /** As on ExperimentSummary: a run of the Python original and what its database lacks. */
  origin?: "python-original";
  notRecorded?: string[];
}

export interface EpochSummary {
  runId: number;
  idx: number;
  startTime: number;
  endTime: number | null;
  status: RunStatusName;
  batchCount: number;
  /** Epoch-scope metrics of this epoch, by key. */
  metrics: Record<string, number>;
}

export interface CheckpointRecord {
  id: number;
  runId: number;
  epoch: number | null;
  path: string;
  final: boolean;
  time: number;
  metrics: Record<string, number | string>;
  /** Whether the file is still on disk (checked at query time). */
  exists?: boolean;
}

export interface ArtifactRecord {
  id: number;
  level: "experiment" | "trial" | "trial_run" | "epoch" | "batch";
  ownerId: number;
  epoch: number | null;
  type: string;
  path: string;
  time: number;
}

export interface SeriesKey {
  key: string;
  scope: Scope;
  count: number;
  minStep: number | null;
  maxStep: number | null;
  custom: boolean;
  /**
   * Per-label values (`per_label_val`: per-class accuracy, a confusion count per label) are one
   * series per label. `key` names it `<metric>/<label>` for display, but that joined name is
   * ambiguous (a metric or label may hold `/`, and in the original's databases a metric named
   * `acc/cat` and label `cat` of `acc` share it): `metric` and `label` are the stored parts,
   * set only on per-label series, and a query passes `label` back to address one.
   */
  metric?: string;
  label?: string;
}

/**
 * A metric series, whole or reduced. Columns are parallel arrays (cheap to ship and to chart).
 * When downsampled, each bucket contributes its min, max and last point (in step order), so
 * spikes survive; `downsampled` says so and `totalPoints` gives the raw size.
 */
export interface Series {
  runId: number;
  key: string;
  scope: Scope;
  steps: number[];
  values: (number | null)[];
  times: number[];
  totalPoints: number;
  downsampled: boolean;
  /** Non-finite values are sent as null in `values` and listed here by index, as strings. */
  nonFinite?: Record<number, NonFiniteName>;
  /** Per-label series only (see SeriesKey): the metric and the label, as stored. */
  metric?: string;
  label?: string;
}

export interface SeriesQuery {
  runId: number;
  key: string;
  scope?: Scope;
  /**
   * The label of a per-label series (SeriesKey.label). Without it, the unlabelled series named
   * `key` when there is one (a total wins over a label series of the same joined name).
   */
  label?: string;
  /** Reduce to about this many buckets (each keeps min, max, last). Omit for the whole series. */
  buckets?: number;
  /** Only points with step in [minStep, maxStep] (zoom). */
  minStep?: number;
  maxStep?: number;
  /** Only points with step > afterStep (live deltas). */
  afterStep?: number;
}

/**
 * Version of the query protocol below (`expman serve`'s methods and their shapes); `expman
 * version --json` reports it and the extension checks it (runtime/src/version.ts). 2: trials.page,
 * runs.list pages, runStatusCounts.
 */
export const QUERY_PROTOCOL_VERSION = 2;

/** A metric value that is not a number (string, object, null), as tracked. */
export interface TextPoint {
  key: string;
  scope: Scope;
  step: number | null;
  epoch: number | null;
  batch: number | null;
  time: number;
  value: unknown;
}

/**
 * The config a run used, as its experiment stored it when planned: env.yaml and experiment.yaml
 * as read, and the run's trial settings (base.yaml merged with the trial's `settings`, a
 * sweep's values included) and `args`.
 */
export interface RunConfig {
  runId: number;
  trial: string;
  env: unknown;
  experiment: unknown;
  settings: Record<string, unknown>;
  args?: Record<string, unknown>;
}

/** One setting whose value differs between two runs' configs: where, and both values. */
export interface SettingDifference {
  /** `<file>: <dotted.path>`, e.g. `settings: optimizer.lr` or `env.yaml: seed`. */
  path: string;
  /** Absent: that run has no such setting. */
  a?: unknown;
  b?: unknown;
}

/**
 * The metric an experiment watches, from the config it was planned with: EarlyStopping's
 * `metric`/`mode`, or a sweep's `metric`/`mode` (or its `median_stop` rule's). `source` says
 * which, for the tree's tooltip.
 */
export interface WatchedMetric {
  key: string;
  mode: "min" | "max";
  source: string;
}

/**
 * How a trials page is ordered. `metric`: best final value of the watched metric first (over
 * the trial's runs); trials without a value follow, by status. `status`: trials with a
 * succeeded run first, then stopped, running, queued, aborted, failed; then by name. `plan`:
 * the order of trials.yaml (experiments that are no sweep and fit on one page).
 */
export type TrialOrder = { by: "metric"; metric: WatchedMetric } | { by: "status" } | { by: "plan" };

/** A trial on a page of `trials.page`: its summary, its runs by status, and its best value. */
export interface TrialPageEntry extends TrialSummary {
  runStatusCounts: Partial<Record<RunStatusName, number>>;
  /** Best final value of the watched metric over its runs (order `metric` only; null: none yet). */
  best?: number | null;
}

export interface TrialPage {
  /** Trials of the experiment in all. */
  total: number;
  order: TrialOrder;
  trials: TrialPageEntry[];
}

/** JSON-RPC methods of `expman serve`. Params and results by method name. */
export interface QueryMethods {
  "db.open": { params: { path: string }; result: { path: string; schemaVersion: number } };
  "experiments.list": { params: { db: string }; result: ExperimentSummary[] };
  "trials.list": { params: { db: string; experimentId: number }; result: TrialSummary[] };
  /** One page of an experiment's trials, best first for a sweep (TrialOrder), `limit` default 200. */
  "trials.page": {
    params: { db: string; experimentId: number; offset?: number; limit?: number };
    result: TrialPage;
  };
  /**
   * Runs in id order; with `limit` (and `offset`), one page of them (the tree pages a trial's
   * runs 200 at a time).
   */
  "runs.list": {
    params: { db: string; experimentId?: number; trialId?: number; offset?: number; limit?: number };
    result: RunSummary[];
  };
  "run.get": { params: { db: string; runId: number }; result: RunSummary | null };
  /** Null when the store does not know it (a run of the Python original, a file from before plans). */
  "run.config": { params: { db: string; runId: number }; result: RunConfig | null };
  "epochs.list": { params: { db: string; runId: number }; result: EpochSummary[] };
  "series.keys": { params: { db: string; runId: number }; result: SeriesKey[] };
  "series.get": { params: { db: string } & SeriesQuery; result: Series };
  "checkpoints.list": { params: { db: string; runId: number }; result: CheckpointRecord[] };
  /** Artifacts of one run (with its epochs and batches), one trial or one experiment: give exactly one id. */
  "artifacts.list": {
    params: { db: string; runId?: number; trialId?: number; experimentId?: number };
    result: ArtifactRecord[];
  };
  /** Values that are not numbers (strings, objects, null), oldest first; all keys without `key`. */
  "series.text": { params: { db: string; runId: number; key?: string }; result: TextPoint[] };
  "db.close": { params: { db: string }; result: { closed: boolean } };
}

export type QueryMethod = keyof QueryMethods;

/** JSON-RPC error codes of the query service, beyond the standard ones. */
export const QueryErrorCode = {
  DB_NOT_FOUND: -32001,
  DB_UNREADABLE: -32002,
  /** A query did not finish within its deadline (a crafted or damaged file); its reader was stopped. */
  DB_TIMEOUT: -32003,
  NOT_FOUND: -32004,
} as const;
