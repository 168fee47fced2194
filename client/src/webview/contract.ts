/**
 * The message contract between the extension host (metrics-panel.ts) and the metrics webview
 * (media/src): the message and settings types and the contract's constants, nothing else.
 * Both sides check every message they receive with validate.ts; wire.ts packs series and
 * names panels. Data shapes (runs, series, checkpoints) come from the results contract.
 *
 * No `vscode` and no DOM here: this file is bundled into the webview.
 */
import type {
  CheckpointRecord,
  RunSummary,
  Series,
  SeriesKey,
  SeriesQuery,
  SettingDifference,
} from "@expman/runtime/contracts";
import type { NonFiniteName } from "../../../runtime/src/common/non-finite";

export const METRICS_VIEW_TYPE = "experimentManager.metrics";
export const CONTRACT_VERSION = 1;

/** What a panel shows. One panel per selection key (see selectionKey). */
export type PanelSelection =
  { kind: "experiment"; experimentId: number; db?: string } | { kind: "runs"; runIds: number[]; db?: string };

export type XAxisMode = "step" | "relative" | "wall";

/** User settings of a panel, persisted in the webview state and restored after reload. */
export interface PanelSettings {
  smoothing: number;
  xAxis: XAxisMode;
  logY: boolean;
  ignoreOutliers: boolean;
  filter: string;
  /** Runs the user unticked in the table (hidden from the charts). */
  hiddenRuns: number[];
  onlyDifferingParams: boolean;
  sortColumn: string | null;
  sortDescending: boolean;
  /** The runs table's own settings (media/src/table). */
  table: TableSettings;
  /** Draw runs grouped as a mean with a band: "none", "trial" (repeats) or "param:<name>". */
  groupBy: string;
  /** The band around a group's mean: min to max, or ±1 standard deviation. */
  band: "minmax" | "std";
  /** Draw each run of a group too (faint), not only the mean and band. */
  showGroupRuns: boolean;
  /** The compare plots' choices (media/src/plots/compare.ts). */
  compare: CompareSettings;
}

/** A metric axis of the parallel coordinates: its last or best value, and which way is better. */
export interface CompareMetric {
  key: string;
  pick: "last" | "best";
  direction: "min" | "max";
}

export interface CompareSettings {
  /** The metric axes in order; null until the user chooses (the panel then offers val/test metrics). */
  metrics: CompareMetric[] | null;
  /** The scatter's parameter (x) and metric (y); "" for the first one offered. */
  scatterX: string;
  scatterY: string;
}

/** How a metric column reads a run's series: its last value, its min or max, or the best of them. */
export const METRIC_SUMMARIES = ["last", "min", "max", "best"] as const;
export type MetricSummary = (typeof METRIC_SUMMARIES)[number];

export interface TableSettings {
  /** The filter expression (media/src/logic/filter-expr.ts), "" for none. */
  filter: string;
  /** Column ids the user hid. */
  hiddenColumns: string[];
  /** Column ids pinned to the left, in pin order. */
  pinnedColumns: string[];
  /** Summary per metric column id; "last" when absent. */
  summaries: Record<string, MetricSummary>;
}

export const DEFAULT_SETTINGS: PanelSettings = {
  smoothing: 0.6,
  xAxis: "step",
  logY: false,
  ignoreOutliers: true,
  filter: "",
  hiddenRuns: [],
  onlyDifferingParams: false,
  sortColumn: null,
  sortDescending: false,
  table: { filter: "", hiddenColumns: [], pinnedColumns: ["run"], summaries: {} },
  groupBy: "none",
  band: "minmax",
  showGroupRuns: false,
  compare: { metrics: null, scatterX: "", scatterY: "" },
};

/** What the webview saves with vscode.setState; the serializer hands it back after reload. */
export interface PersistedState {
  v: typeof CONTRACT_VERSION;
  selection: PanelSelection;
  settings: PanelSettings;
}

/** A run as the panel shows it: the summary plus its series keys. */
export interface PanelRun {
  summary: RunSummary;
  keys: SeriesKey[];
}

/** Points appended to one series since the last delta (same column layout as Series). */
export interface SeriesDelta {
  runId: number;
  key: string;
  scope: SeriesKey["scope"];
  steps: number[];
  values: (number | null)[];
  times: number[];
  nonFinite?: Record<number, NonFiniteName>;
  /** Per-label series only (SeriesKey.metric / label): the metric and the label, as stored. */
  metric?: string;
  label?: string;
}

export type { NonFiniteName };

// ---------------------------------------------------------------- host -> webview

export interface InitMessage {
  type: "init";
  v: typeof CONTRACT_VERSION;
  title: string;
  selection: PanelSelection;
  runs: PanelRun[];
  /** Restored or default settings. */
  settings: PanelSettings;
}
/** Run list changed (status, final metrics, a new run joined the experiment). */
export interface RunsMessage {
  type: "runs";
  runs: PanelRun[];
}
/**
 * A Series as it travels to the webview. The host packs the columns into Float64Arrays
 * (packSeries): VS Code transfers typed arrays as raw buffers, while plain number arrays are
 * cloned element by element and arrive boxed, which costs seconds for millions of points. In
 * a packed series NaN and ±Infinity are stored as themselves and `nonFinite` is omitted.
 */
export interface WireSeries extends Omit<Series, "steps" | "values" | "times"> {
  steps: number[] | Float64Array;
  values: (number | null)[] | Float64Array;
  times: number[] | Float64Array;
}

/** Answer to a SeriesRequest: one Series per query that succeeded; errors per query. */
export interface SeriesMessage {
  type: "series";
  requestId: number;
  series: WireSeries[];
  errors: { query: SeriesQuery; message: string }[];
}
/** Live points, coalesced by the host; only points newer than what was sent before. */
export interface AppendMessage {
  type: "append";
  deltas: SeriesDelta[];
}
export interface CheckpointsMessage {
  type: "checkpoints";
  runId: number;
  checkpoints: CheckpointRecord[];
}
/** Something the host could not do, shown in the panel's notice area. */
export interface NoticeMessage {
  type: "notice";
  level: "info" | "warning" | "error";
  message: string;
}

/** Runs selected elsewhere (the Experiments tree): the panel selects them too. */
export interface SelectRunsMessage {
  type: "selectRuns";
  runIds: number[];
}
/** Answer to a CompareRequest: the settings that differ between the runs' merged configs. */
export interface ComparisonMessage {
  type: "comparison";
  runIds: [number, number];
  differences: SettingDifference[];
  /** How many settings the two share with equal values. */
  same: number;
  /** Why there is nothing to show (a run's config is unknown), when so. */
  error?: string;
}

export type HostToWebview =
  | InitMessage
  | RunsMessage
  | SeriesMessage
  | AppendMessage
  | CheckpointsMessage
  | NoticeMessage
  | SelectRunsMessage
  | ComparisonMessage;

// ---------------------------------------------------------------- webview -> host

export interface ReadyMessage {
  type: "ready";
}
export interface SeriesRequest {
  type: "requestSeries";
  requestId: number;
  queries: SeriesQuery[];
}
export interface StateMessage {
  type: "state";
  settings: PanelSettings;
}
export interface ExportRequest {
  type: "export";
  format: "csv" | "json" | "png";
  suggestedName: string;
  /** Text for csv/json; a base64 PNG (no data: prefix) for png. */
  content: string;
}
export interface RevealCheckpointRequest {
  type: "revealCheckpoint";
  runId: number;
  checkpointId: number;
  path: string;
}
/** The webview received a message it could not use: the host logs it. */
export interface WebviewErrorMessage {
  type: "webviewError";
  message: string;
}

/** Edit a run's note or tags (the host asks the user and writes the store). */
export interface EditRunRequest {
  type: "editRun";
  runId: number;
  what: "note" | "tags";
}
/** The settings that differ between two runs (answered with a ComparisonMessage). */
export interface CompareRequest {
  type: "compareRuns";
  runIds: [number, number];
}

export type WebviewToHost =
  | ReadyMessage
  | SeriesRequest
  | StateMessage
  | ExportRequest
  | RevealCheckpointRequest
  | WebviewErrorMessage
  | EditRunRequest
  | CompareRequest;
