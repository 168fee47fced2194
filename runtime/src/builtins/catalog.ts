import type { ParamsSchema, TypeDescription } from "../registry/schema";

/**
 * The framework's own trackers and callbacks, described without loading them (no native
 * module): the language server and the extension read this, and the implementations register
 * themselves under these same descriptions, so names and options have one source of truth.
 */

/** Keys the original accepted and ignored; kept so its configs still validate. */
const IGNORED_VERBOSE = {
  verbose: {
    type: "boolean",
    description: "Ignored by this tracker (accepted for compatibility with the original's configs).",
  },
} as const satisfies ParamsSchema;

/** The original DBTracker's database file name when `name` is left out. */
export const DEFAULT_DB_NAME = "tracker.db";

const DB_TRACKER: ParamsSchema = {
  ...IGNORED_VERBOSE,
  name: {
    type: "string",
    default: DEFAULT_DB_NAME,
    format: "file-name",
    description:
      "File name of the SQLite database, under `<workspace>/artifacts/` (e.g. `experiment.db`); `tracker.db` when left out, as in the original.",
  },
  url: {
    type: "string",
    description:
      "A PostgreSQL store shared by many writers and machines instead of the SQLite file: `postgresql://user:password@host:port/database`. Default: the environment variable `EXPMAN_DB_URL` if set. Read it with `expman ls --db <url>`.",
  },
  recreate: {
    type: "boolean",
    default: false,
    description: "Delete an existing database first. By default a database is reused and a new experiment is appended.",
  },
  flush_interval: {
    type: "number",
    default: 1,
    minimum: 0.05,
    description: "Seconds between background flushes of buffered points, so the database is never further behind.",
  },
  lock_timeout: {
    type: "number",
    default: 10,
    minimum: 0,
    description:
      "Seconds writes wait for another process's lock on the database (training goes on meanwhile); past it the run fails, naming the process. With `url`: seconds a lost PostgreSQL connection is retried, points kept in memory (default 60).",
  },
};

const LOG_TRACKER: ParamsSchema = {
  name: {
    type: "string",
    default: "experiment.log",
    description: "Kept for compatibility; the log is always `<workspace>/artifacts/experiment.log`.",
  },
  verbose: { type: "boolean", default: false, description: "Also print the log lines to the console." },
};

const TENSORBOARD_TRACKER: ParamsSchema = {
  ...IGNORED_VERBOSE,
  name: {
    type: "string",
    required: true,
    format: "file-name",
    description: "Sub-folder under `<workspace>/artifacts/tensorboard/` for the event files.",
  },
};

const MLFLOW_TRACKER: ParamsSchema = {
  ...IGNORED_VERBOSE,
  name: { type: "string", required: true, description: "MLflow experiment name." },
  tracking_uri: {
    type: "string",
    description:
      "An http(s) URL of an MLflow tracking server; by default the file store `<workspace>/mlruns` (read it with `MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri <workspace>/mlruns`).",
  },
};

const PERFORMANCE_TRACKER: ParamsSchema = {
  monitoring_interval: {
    type: "number",
    default: 1.0,
    minimum: 0.01,
    description: "Seconds between samples of CPU, memory, event-loop lag and GPU.",
  },
  enable_alerts: { type: "boolean", default: true, description: "Log alerts when a threshold is passed." },
  enable_bottleneck_detection: {
    type: "boolean",
    default: true,
    description: "Score resources and name the primary bottleneck in summaries.",
  },
  cpu_threshold: {
    type: "number",
    default: 90.0,
    minimum: 0,
    maximum: 100,
    description: "CPU percent above which an alert is raised.",
  },
  memory_threshold: {
    type: "number",
    default: 90.0,
    minimum: 0,
    maximum: 100,
    description: "Memory percent above which an alert is raised.",
  },
  gpu_threshold: {
    type: "number",
    default: 95.0,
    minimum: 0,
    maximum: 100,
    description: "GPU utilisation percent above which an alert is raised.",
  },
  history_size: { type: "integer", default: 1000, minimum: 1, description: "Samples kept in memory for summaries." },
  lightweight_mode: { type: "boolean", default: true, description: "Skip baseline snapshots at level starts." },
  test_mode: { type: "boolean", default: false, description: "Do not start the sampling timer (tests)." },
  ...IGNORED_VERBOSE,
  name: { type: "string", description: "Ignored (accepted for compatibility with the original's configs)." },
  output_file: { type: "string", description: "Ignored (accepted for compatibility with the original's configs)." },
};

const MEDIAN_STOP: ParamsSchema = {
  metric: {
    type: "metric",
    default: "val_loss",
    description:
      "The epoch metric compared with the peers' (a Metric name such as `val_loss`, or a custom metric name).",
  },
  mode: {
    type: "string",
    default: "min",
    enum: ["min", "max"],
    description: "`min` for losses (a higher value is worse), `max` for accuracies.",
  },
  warmup_epochs: {
    type: "integer",
    default: 1,
    minimum: 0,
    description: "Epochs 0 to warmup_epochs - 1 are never judged: early epochs say little.",
  },
  min_finished: {
    type: "integer",
    default: 3,
    minimum: 1,
    description: "Finished runs that must have a value at an epoch before a run is judged there.",
  },
};

const EARLY_STOPPING: ParamsSchema = {
  metric: {
    type: "metric",
    default: "val_loss",
    description: "The metric to watch (a Metric name such as `val_loss`, or a custom metric name).",
  },
  patience: {
    type: "integer",
    required: true,
    minimum: 1,
    description: "Epochs without improvement before training stops.",
  },
  min_delta_percent: {
    type: "number",
    default: 0,
    minimum: 0,
    description: "Smallest relative improvement, in percent of the best value, that counts (strictly greater).",
  },
  min_delta: {
    type: "number",
    default: 0,
    minimum: 0,
    description: "Smallest absolute improvement that counts (strictly greater). Use it when the best value can be 0.",
  },
  mode: {
    type: "string",
    default: "min",
    enum: ["min", "max"],
    description: "`min` for losses, `max` for accuracies.",
  },
};

const CHECKPOINT_CALLBACK: ParamsSchema = {
  interval: {
    type: "integer",
    required: true,
    minimum: 1,
    description: "Save a checkpoint every `interval` epochs (`checkpoint-<k>`), plus `checkpoint-final` at the end.",
  },
};

export const BUILTIN_TYPES: readonly TypeDescription[] = [
  {
    name: "DBTracker",
    kind: "tracker",
    builtin: true,
    closed: true,
    params: DB_TRACKER,
    description:
      "Tracks experiments, trials, runs, epochs, metrics, params, checkpoints and artifacts in a SQLite database (WAL, crash-safe), or in a PostgreSQL store (`url`).",
  },
  {
    name: "LogTracker",
    kind: "tracker",
    builtin: true,
    closed: true,
    params: LOG_TRACKER,
    description: "Writes an indented, human-readable `experiment.log` of every lifecycle event and metric.",
  },
  {
    name: "TensorBoardTracker",
    kind: "tracker",
    builtin: true,
    closed: true,
    params: TENSORBOARD_TRACKER,
    description: "Writes TensorBoard event files (scalars per metric and step, params as text).",
  },
  {
    name: "MLflowTracker",
    kind: "tracker",
    builtin: true,
    closed: true,
    params: MLFLOW_TRACKER,
    description: "Writes an MLflow file store (`mlruns/`) or logs to an MLflow tracking server.",
  },
  {
    name: "PerformanceTracker",
    kind: "tracker",
    builtin: true,
    closed: true,
    params: PERFORMANCE_TRACKER,
    description: "Samples CPU, memory, event-loop lag and GPU, records them as metrics and raises threshold alerts.",
  },
  {
    name: "EarlyStopping",
    kind: "callback",
    builtin: true,
    closed: true,
    params: EARLY_STOPPING,
    description: "Stops training when a metric has not improved for `patience` epochs.",
  },
  {
    name: "MedianStop",
    kind: "callback",
    builtin: true,
    closed: true,
    params: MEDIAN_STOP,
    description:
      "Early termination for sweeps: stops a run whose metric at epoch k is worse than the median of the finished runs of the same experiment at k (read from the store), after a warm-up. The run reads STOPPED with the reason.",
  },
  {
    name: "CheckpointCallback",
    kind: "callback",
    builtin: true,
    closed: true,
    params: CHECKPOINT_CALLBACK,
    description:
      "Saves the model (`Metric.NETWORK` or the pipeline's `saveCheckpoint`) every `interval` epochs and at the end.",
  },
  {
    name: "MetricsTracker",
    kind: "callback",
    builtin: true,
    closed: true,
    params: {},
    description: "Writes the run's epoch and final metrics as CSV to `<run>/artifacts/metrics.log`.",
  },
];

export function builtinDescription(name: string): TypeDescription {
  const d = BUILTIN_TYPES.find((t) => t.name === name);
  if (!d) throw new Error(`No built-in type named ${name}`);
  return d;
}
