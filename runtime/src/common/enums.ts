/**
 * Enums and constants of the framework. Names and values follow the Python original
 * (experiment_manager/common/common.py) so that its users feel at home; metric names are the
 * lowercase strings the original stores in its database, MLflow and TensorBoard.
 */

export enum Level {
  EXPERIMENT = 0,
  TRIAL = 1,
  TRIAL_RUN = 2,
  PIPELINE = 3,
  EPOCH = 4,
  BATCH = 5,
}

/** Lowercase level names, as the original's file names (`level_creation_<level>.json`) use them. */
export function levelName(level: Level): string {
  return Level[level].toLowerCase();
}

/**
 * Metric keys. Values are the lowercase names (the Python original's `Metric.X.name`), so a
 * metric key is also the string stored in every tracker and accepted in YAML (`metric: val_loss`).
 */
export enum Metric {
  EPOCH = "epoch",
  TEST_ACC = "test_acc",
  TEST_LOSS = "test_loss",
  VAL_ACC = "val_acc",
  VAL_LOSS = "val_loss",
  TRAIN_ACC = "train_acc",
  TRAIN_LOSS = "train_loss",
  LEARNING_RATE = "learning_rate",
  CUSTOM = "custom",
  NETWORK = "network",
  DATA = "data",
  LABELS = "labels",
  STATUS = "status",
  CONFUSION = "confusion",
  CUSTOM_UNTRACKED = "custom_untracked",
}

/** The original's integer value of each metric (IntEnum), kept for reference and export. */
export const METRIC_ORDINAL: Readonly<Record<Metric, number>> = {
  [Metric.EPOCH]: 1,
  [Metric.TEST_ACC]: 2,
  [Metric.TEST_LOSS]: 3,
  [Metric.VAL_ACC]: 4,
  [Metric.VAL_LOSS]: 5,
  [Metric.TRAIN_ACC]: 6,
  [Metric.TRAIN_LOSS]: 7,
  [Metric.LEARNING_RATE]: 8,
  [Metric.CUSTOM]: 9,
  [Metric.NETWORK]: 10,
  [Metric.DATA]: 11,
  [Metric.LABELS]: 12,
  [Metric.STATUS]: 13,
  [Metric.CONFUSION]: 14,
  [Metric.CUSTOM_UNTRACKED]: 15,
};

export enum MetricCategory {
  TRACKED = 0,
  UNTRACKED = 1,
}

const METRIC_CATEGORY: Readonly<Record<Metric, MetricCategory>> = {
  [Metric.EPOCH]: MetricCategory.TRACKED,
  [Metric.TEST_ACC]: MetricCategory.TRACKED,
  [Metric.TEST_LOSS]: MetricCategory.TRACKED,
  [Metric.VAL_ACC]: MetricCategory.TRACKED,
  [Metric.VAL_LOSS]: MetricCategory.TRACKED,
  [Metric.TRAIN_ACC]: MetricCategory.TRACKED,
  [Metric.TRAIN_LOSS]: MetricCategory.TRACKED,
  [Metric.LEARNING_RATE]: MetricCategory.TRACKED,
  [Metric.CUSTOM]: MetricCategory.TRACKED,
  [Metric.NETWORK]: MetricCategory.UNTRACKED,
  [Metric.DATA]: MetricCategory.UNTRACKED,
  [Metric.LABELS]: MetricCategory.UNTRACKED,
  [Metric.STATUS]: MetricCategory.UNTRACKED,
  // The original's comments put CONFUSION among the untracked ones, but its category map
  // (and a test) say TRACKED; the map is what runs, so we keep it.
  [Metric.CONFUSION]: MetricCategory.TRACKED,
  [Metric.CUSTOM_UNTRACKED]: MetricCategory.UNTRACKED,
};

export const ALL_METRICS: readonly Metric[] = Object.values(Metric);

export function isMetric(value: unknown): value is Metric {
  return typeof value === "string" && (ALL_METRICS as readonly string[]).includes(value);
}

export function getMetricCategory(metric: Metric): MetricCategory {
  const category = METRIC_CATEGORY[metric];
  if (category === undefined) {
    throw new Error(`'${String(metric)}' is not a Metric. Use one of: ${ALL_METRICS.join(", ")}`);
  }
  return category;
}

export function getMetricsByCategory(category: MetricCategory): Metric[] {
  return ALL_METRICS.filter((m) => METRIC_CATEGORY[m] === category);
}

export function getTrackedMetrics(): Metric[] {
  return getMetricsByCategory(MetricCategory.TRACKED);
}

/**
 * Resolves a metric written in a config (`val_loss`, `VAL_LOSS`, `Metric.VAL_LOSS`), case-
 * insensitively, as the original's EarlyStopping does. Returns undefined when unknown.
 */
export function parseMetric(name: string): Metric | undefined {
  const bare = name
    .trim()
    .replace(/^metric\./i, "")
    .toLowerCase();
  return isMetric(bare) ? bare : undefined;
}

/** Metric keys that carry plain numbers (everything but CUSTOM forms and object payloads). */
export const SCALAR_METRICS: readonly Metric[] = [
  Metric.EPOCH,
  Metric.TEST_ACC,
  Metric.TEST_LOSS,
  Metric.VAL_ACC,
  Metric.VAL_LOSS,
  Metric.TRAIN_ACC,
  Metric.TRAIN_LOSS,
  Metric.LEARNING_RATE,
];

export {
  RunStatus,
  RUN_STATUS_NAMES,
  runStatusName,
  parseRunStatus,
  isRunStatusName,
  SCOPES,
  isScope,
} from "./vocabulary";
export type { RunStatusName, Scope } from "./vocabulary";

export const ArtifactType = {
  MODEL: "model",
  CHECKPOINT: "checkpoint",
  FIGURE: "figure",
  LOG: "log",
  TENSORBOARD: "tensorboard",
  METRICS: "metrics",
  PARAMS: "params",
  OTHER: "other",
} as const;
export type ArtifactTypeName = (typeof ArtifactType)[keyof typeof ArtifactType] | string;

/** The four files of an experiment config folder. */
export const ConfigPaths = {
  ENV_CONFIG: "env.yaml",
  CONFIG_FILE: "experiment.yaml",
  BASE_CONFIG: "base.yaml",
  TRIALS_CONFIG: "trials.yaml",
} as const;

export type ConfigRole = "env" | "experiment" | "base" | "trials";
export const CONFIG_ROLES: readonly ConfigRole[] = ["env", "experiment", "base", "trials"];
export const CONFIG_FILE_OF_ROLE: Readonly<Record<ConfigRole, string>> = {
  env: ConfigPaths.ENV_CONFIG,
  experiment: ConfigPaths.CONFIG_FILE,
  base: ConfigPaths.BASE_CONFIG,
  trials: ConfigPaths.TRIALS_CONFIG,
};

/** Folders of every environment's workspace. */
export const ProductPaths = {
  CONFIG_FILE: "env.yaml",
  LOG_DIR: "logs",
  ARTIFACT_DIR: "artifacts",
  CONFIG_DIR: "configs",
} as const;

export const LOG_NAME = "log";
