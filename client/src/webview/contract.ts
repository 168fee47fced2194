/**
 * The message contract between the extension host (metrics-panel.ts) and the metrics webview
 * (media/src). Both sides import this one file and validate every message they receive with
 * the validators below, so a malformed message is reported and dropped instead of breaking
 * the panel. Data shapes (runs, series, checkpoints) come from the results contract.
 *
 * No `vscode` and no DOM here: this file is bundled into the webview and unit-tested in Node.
 */
import type { CheckpointRecord, RunSummary, Series, SeriesKey, SeriesQuery } from "@expman/runtime/contracts";
// These two modules by path, not through `@expman/runtime/contracts`: they import nothing, so
// the webview bundle takes only them.
import { SCOPES } from "../../../runtime/src/common/vocabulary";
import { NON_FINITE_NAMES, nonFiniteValue, type NonFiniteName } from "../../../runtime/src/common/non-finite";

export const METRICS_VIEW_TYPE = "experimentManager.metrics";
export const CONTRACT_VERSION = 1;

/** What a panel shows. One panel per selection key (see selectionKey). */
export type PanelSelection =
  | { kind: "experiment"; experimentId: number; db?: string }
  | { kind: "runs"; runIds: number[]; db?: string };

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

export type HostToWebview = InitMessage | RunsMessage | SeriesMessage | AppendMessage | CheckpointsMessage | NoticeMessage;

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

export type WebviewToHost =
  | ReadyMessage
  | SeriesRequest
  | StateMessage
  | ExportRequest
  | RevealCheckpointRequest
  | WebviewErrorMessage;

// ---------------------------------------------------------------- validation

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

class Invalid extends Error {}

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === null ? "null" : Array.isArray(got) ? "array" : typeof got;
  throw new Invalid(`${path}: expected ${expected}, got ${shown}`);
}
function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "an object", v);
  return v as Record<string, unknown>;
}
function num(v: unknown, path: string): number {
  if (typeof v !== "number") fail(path, "a number", v);
  return v as number;
}
function finite(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(path, "a finite number", v);
  return v as number;
}
function int(v: unknown, path: string): number {
  if (!Number.isInteger(v)) fail(path, "an integer", v);
  return v as number;
}
function str(v: unknown, path: string): string {
  if (typeof v !== "string") fail(path, "a string", v);
  return v as string;
}
function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") fail(path, "a boolean", v);
  return v as boolean;
}
function oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
  if (typeof v !== "string" || !options.includes(v as T)) fail(path, options.map((o) => JSON.stringify(o)).join(" | "), v);
  return v as T;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, "an array", v);
  return v as unknown[];
}
function optional<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v);
}
function nullableNum(v: unknown, path: string): number | null {
  return v === null ? null : num(v, path);
}

/** Numeric column: a plain array of numbers (or of numbers and nulls when `nullable`). */
function column(v: unknown, path: string, nullable: boolean): void {
  if (!Array.isArray(v)) {
    // Typed arrays survive postMessage's structured clone and are cheaper for big series.
    if (v instanceof Float64Array) return;
    fail(path, "an array of numbers", v);
  }
  const a = v as unknown[];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== "number" && !(nullable && x === null)) fail(`${path}[${i}]`, nullable ? "a number or null" : "a number", x);
  }
}

const X_AXES = ["step", "relative", "wall"] as const;

function nonFiniteMap(v: unknown, path: string, length: number): void {
  const m = obj(v, path);
  for (const [k, name] of Object.entries(m)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= length) throw new Invalid(`${path}: index ${k} is outside the series (length ${length})`);
    oneOf(name, `${path}[${k}]`, NON_FINITE_NAMES);
  }
}

function columns(m: Record<string, unknown>, path: string): void {
  column(m.steps, `${path}.steps`, false);
  column(m.values, `${path}.values`, true);
  column(m.times, `${path}.times`, false);
  const n = (m.steps as ArrayLike<number>).length;
  for (const name of ["values", "times"] as const) {
    const len = (m[name] as ArrayLike<unknown>).length;
    if (len !== n) throw new Invalid(`${path}.${name}: length ${len} differs from steps (${n})`);
  }
  if (m.nonFinite !== undefined) nonFiniteMap(m.nonFinite, `${path}.nonFinite`, n);
}

export function checkSeries(v: unknown, path = "series"): WireSeries {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  oneOf(m.scope, `${path}.scope`, SCOPES);
  columns(m, path);
  int(m.totalPoints, `${path}.totalPoints`);
  bool(m.downsampled, `${path}.downsampled`);
  return m as unknown as WireSeries;
}

function checkDelta(v: unknown, path: string): SeriesDelta {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  oneOf(m.scope, `${path}.scope`, SCOPES);
  columns(m, path);
  return m as unknown as SeriesDelta;
}

function checkQuery(v: unknown, path: string): SeriesQuery {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  optional(m.scope, (x) => oneOf(x, `${path}.scope`, SCOPES));
  optional(m.buckets, (x) => {
    if (int(x, `${path}.buckets`) < 1) throw new Invalid(`${path}.buckets: must be at least 1`);
  });
  for (const k of ["minStep", "maxStep", "afterStep"] as const) optional(m[k], (x) => finite(x, `${path}.${k}`));
  return m as unknown as SeriesQuery;
}

function checkSeriesKey(v: unknown, path: string): SeriesKey {
  const m = obj(v, path);
  str(m.key, `${path}.key`);
  oneOf(m.scope, `${path}.scope`, SCOPES);
  int(m.count, `${path}.count`);
  nullableNum(m.minStep, `${path}.minStep`);
  nullableNum(m.maxStep, `${path}.maxStep`);
  bool(m.custom, `${path}.custom`);
  return m as unknown as SeriesKey;
}

function checkRunSummary(v: unknown, path: string): RunSummary {
  const m = obj(v, path);
  for (const k of ["id", "trialId", "experimentId", "repeat"] as const) int(m[k], `${path}.${k}`);
  for (const k of ["uid", "trialName", "experimentTitle", "status"] as const) str(m[k], `${path}.${k}`);
  num(m.startTime, `${path}.startTime`);
  nullableNum(m.endTime, `${path}.endTime`);
  obj(m.params, `${path}.params`);
  const fm = obj(m.finalMetrics, `${path}.finalMetrics`);
  for (const [k, x] of Object.entries(fm)) num(x, `${path}.finalMetrics.${k}`);
  return m as unknown as RunSummary;
}

function checkPanelRun(v: unknown, path: string): PanelRun {
  const m = obj(v, path);
  checkRunSummary(m.summary, `${path}.summary`);
  arr(m.keys, `${path}.keys`).forEach((k, i) => checkSeriesKey(k, `${path}.keys[${i}]`));
  return m as unknown as PanelRun;
}

function checkCheckpoint(v: unknown, path: string): CheckpointRecord {
  const m = obj(v, path);
  int(m.id, `${path}.id`);
  int(m.runId, `${path}.runId`);
  nullableNum(m.epoch, `${path}.epoch`);
  str(m.path, `${path}.path`);
  bool(m.final, `${path}.final`);
  num(m.time, `${path}.time`);
  return m as unknown as CheckpointRecord;
}

export function checkSelection(v: unknown, path = "selection"): PanelSelection {
  const m = obj(v, path);
  const kind = oneOf(m.kind, `${path}.kind`, ["experiment", "runs"] as const);
  if (kind === "experiment") int(m.experimentId, `${path}.experimentId`);
  else {
    const ids = arr(m.runIds, `${path}.runIds`);
    ids.forEach((x, i) => int(x, `${path}.runIds[${i}]`));
  }
  optional(m.db, (x) => str(x, `${path}.db`));
  return m as unknown as PanelSelection;
}

export function checkSettings(v: unknown, path = "settings"): PanelSettings {
  const m = obj(v, path);
  const s = finite(m.smoothing, `${path}.smoothing`);
  if (s < 0 || s > 0.999) throw new Invalid(`${path}.smoothing: must be within [0, 0.999], got ${s}`);
  oneOf(m.xAxis, `${path}.xAxis`, X_AXES);
  bool(m.logY, `${path}.logY`);
  bool(m.ignoreOutliers, `${path}.ignoreOutliers`);
  str(m.filter, `${path}.filter`);
  arr(m.hiddenRuns, `${path}.hiddenRuns`).forEach((x, i) => int(x, `${path}.hiddenRuns[${i}]`));
  bool(m.onlyDifferingParams, `${path}.onlyDifferingParams`);
  if (m.sortColumn !== null) str(m.sortColumn, `${path}.sortColumn`);
  bool(m.sortDescending, `${path}.sortDescending`);
  return m as unknown as PanelSettings;
}

/** Settings from an older or damaged state: keeps what is valid, defaults the rest. */
export function repairSettings(v: unknown): PanelSettings {
  const out: PanelSettings = { ...DEFAULT_SETTINGS, hiddenRuns: [] };
  if (typeof v !== "object" || v === null) return out;
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof PanelSettings)[]) {
    const trial = { ...out, [key]: (v as Record<string, unknown>)[key] };
    try {
      checkSettings(trial);
      Object.assign(out, { [key]: trial[key] });
    } catch {
      /* keep the default for this one */
    }
  }
  return out;
}

export function checkPersistedState(v: unknown): PersistedState {
  const m = obj(v, "state");
  if (m.v !== CONTRACT_VERSION) throw new Invalid(`state.v: expected ${CONTRACT_VERSION}, got ${String(m.v)}`);
  checkSelection(m.selection, "state.selection");
  return { v: CONTRACT_VERSION, selection: m.selection as PanelSelection, settings: repairSettings(m.settings) };
}

function run<T>(check: () => T): Validation<T> {
  try {
    return { ok: true, value: check() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

/** Validates a message received by the webview. */
export function validateHostMessage(v: unknown): Validation<HostToWebview> {
  return run(() => {
    const m = obj(v, "message");
    const type = oneOf(m.type, "message.type", ["init", "runs", "series", "append", "checkpoints", "notice"] as const);
    switch (type) {
      case "init":
        if (m.v !== CONTRACT_VERSION) throw new Invalid(`init.v: expected ${CONTRACT_VERSION}, got ${String(m.v)}`);
        str(m.title, "init.title");
        checkSelection(m.selection, "init.selection");
        arr(m.runs, "init.runs").forEach((r, i) => checkPanelRun(r, `init.runs[${i}]`));
        checkSettings(m.settings, "init.settings");
        break;
      case "runs":
        arr(m.runs, "runs.runs").forEach((r, i) => checkPanelRun(r, `runs.runs[${i}]`));
        break;
      case "series":
        int(m.requestId, "series.requestId");
        arr(m.series, "series.series").forEach((s, i) => checkSeries(s, `series.series[${i}]`));
        arr(m.errors, "series.errors").forEach((e, i) => {
          const o = obj(e, `series.errors[${i}]`);
          checkQuery(o.query, `series.errors[${i}].query`);
          str(o.message, `series.errors[${i}].message`);
        });
        break;
      case "append":
        arr(m.deltas, "append.deltas").forEach((d, i) => checkDelta(d, `append.deltas[${i}]`));
        break;
      case "checkpoints":
        int(m.runId, "checkpoints.runId");
        arr(m.checkpoints, "checkpoints.checkpoints").forEach((c, i) => checkCheckpoint(c, `checkpoints.checkpoints[${i}]`));
        break;
      case "notice":
        oneOf(m.level, "notice.level", ["info", "warning", "error"] as const);
        str(m.message, "notice.message");
        break;
    }
    return m as unknown as HostToWebview;
  });
}

/** Validates a message received by the host. */
export function validateWebviewMessage(v: unknown): Validation<WebviewToHost> {
  return run(() => {
    const m = obj(v, "message");
    const type = oneOf(m.type, "message.type", ["ready", "requestSeries", "state", "export", "revealCheckpoint", "webviewError"] as const);
    switch (type) {
      case "ready":
        break;
      case "requestSeries":
        int(m.requestId, "requestSeries.requestId");
        arr(m.queries, "requestSeries.queries").forEach((q, i) => checkQuery(q, `requestSeries.queries[${i}]`));
        break;
      case "state":
        checkSettings(m.settings, "state.settings");
        break;
      case "export":
        oneOf(m.format, "export.format", ["csv", "json", "png"] as const);
        str(m.suggestedName, "export.suggestedName");
        str(m.content, "export.content");
        break;
      case "revealCheckpoint":
        int(m.runId, "revealCheckpoint.runId");
        int(m.checkpointId, "revealCheckpoint.checkpointId");
        str(m.path, "revealCheckpoint.path");
        break;
      case "webviewError":
        str(m.message, "webviewError.message");
        break;
    }
    return m as unknown as WebviewToHost;
  });
}

// ---------------------------------------------------------------- shared helpers

/** Identity of a panel: the same selection reveals the same panel. */
export function selectionKey(s: PanelSelection): string {
  const db = s.db ?? "";
  if (s.kind === "experiment") return `${db}#experiment:${s.experimentId}`;
  return `${db}#runs:${[...new Set(s.runIds)].sort((a, b) => a - b).join(",")}`;
}

/**
 * Run colours. The tree and the panel both call runColor(runId), so a run has the same colour
 * everywhere: `themeColor` is a VS Code theme colour id (for ThemeIcon in the tree), `cssVar`
 * its webview CSS variable, `fallback` the Dark+ value. Past six runs the colours repeat with
 * a different dash pattern in the charts (`dash`), which the legend shows too.
 */
export interface RunColor {
  themeColor: string;
  cssVar: string;
  fallback: string;
  dash: number[];
}
const PALETTE = [
  ["charts.blue", "#3794ff"],
  ["charts.orange", "#d18616"],
  ["charts.green", "#89d185"],
  ["charts.red", "#f14c4c"],
  ["charts.purple", "#b180d7"],
  ["charts.yellow", "#cca700"],
] as const;
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];

export function runColor(runId: number): RunColor {
  const slot = ((runId % PALETTE.length) + PALETTE.length) % PALETTE.length;
  const [themeColor, fallback] = PALETTE[slot];
  const dash = DASHES[Math.floor(Math.abs(runId) / PALETTE.length) % DASHES.length];
  return { themeColor, cssVar: `--vscode-${themeColor.replace(".", "-")}`, fallback, dash };
}

/** Packs a Series' columns into Float64Arrays (null -> NaN, or ±Infinity per nonFinite). */
export function packSeries(s: Series): WireSeries {
  const n = s.steps.length;
  const values = new Float64Array(n);
  const nf = s.nonFinite;
  for (let i = 0; i < n; i++) {
    const v = s.values[i];
    if (v !== null) values[i] = v;
    else {
      values[i] = nonFiniteValue(nf?.[i]);
    }
  }
  const { nonFinite: _dropped, ...rest } = s;
  return { ...rest, steps: Float64Array.from(s.steps), values, times: Float64Array.from(s.times) };
}
