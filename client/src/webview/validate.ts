/**
 * Checks of the metrics panel's messages (contract.ts), on both sides: the webview checks what
 * the host sends, the host what the webview posts, and a restored panel its persisted state.
 * A malformed message is reported with the path of the bad field and dropped; it never breaks
 * the panel. No `vscode`, no DOM: bundled into the webview, unit-tested in Node.
 */
import type { CheckpointRecord, RunSummary, SeriesKey, SeriesQuery } from "@expman/runtime/contracts";
// By path, not through `@expman/runtime/contracts`: these modules import nothing, so the webview
// bundle takes only them.
import { SCOPES } from "../../../runtime/src/common/vocabulary";
import { NON_FINITE_NAMES } from "../../../runtime/src/common/non-finite";
import {
  CONTRACT_VERSION,
  DEFAULT_SETTINGS,
  METRIC_SUMMARIES,
  type PanelSelection,
  type PanelSettings,
  type PersistedState,
  type PanelRun,
  type SeriesDelta,
  type WireSeries,
  type HostToWebview,
  type WebviewToHost,
} from "./contract";

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
  if (typeof v !== "string" || !options.includes(v as T))
    fail(path, options.map((o) => JSON.stringify(o)).join(" | "), v);
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
    if (typeof x !== "number" && !(nullable && x === null))
      fail(`${path}[${i}]`, nullable ? "a number or null" : "a number", x);
  }
}

const X_AXES = ["step", "relative", "wall"] as const;

function nonFiniteMap(v: unknown, path: string, length: number): void {
  const m = obj(v, path);
  for (const [k, name] of Object.entries(m)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= length)
      throw new Invalid(`${path}: index ${k} is outside the series (length ${length})`);
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

/** Per-label series carry their metric and label, both or neither (contract: SeriesKey). */
function labelParts(m: Record<string, unknown>, path: string): void {
  optional(m.metric, (x) => str(x, `${path}.metric`));
  optional(m.label, (x) => str(x, `${path}.label`));
  if ((m.label === undefined) !== (m.metric === undefined))
    throw new Invalid(`${path}: a per-label series needs both metric and label`);
}

export function checkSeries(v: unknown, path = "series"): WireSeries {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  oneOf(m.scope, `${path}.scope`, SCOPES);
  columns(m, path);
  int(m.totalPoints, `${path}.totalPoints`);
  bool(m.downsampled, `${path}.downsampled`);
  labelParts(m, path);
  return m as unknown as WireSeries;
}

function checkDelta(v: unknown, path: string): SeriesDelta {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  oneOf(m.scope, `${path}.scope`, SCOPES);
  columns(m, path);
  labelParts(m, path);
  return m as unknown as SeriesDelta;
}

function checkQuery(v: unknown, path: string): SeriesQuery {
  const m = obj(v, path);
  int(m.runId, `${path}.runId`);
  str(m.key, `${path}.key`);
  optional(m.scope, (x) => oneOf(x, `${path}.scope`, SCOPES));
  optional(m.label, (x) => str(x, `${path}.label`));
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
  labelParts(m, path);
  return m as unknown as SeriesKey;
}

/**
 * Whether a run summary is well formed, without building a single path string: a 10,000-run
 * list is checked in a few milliseconds instead of ~70 (the detailed check below, run only when
 * this says no, names the bad field). Must accept exactly what checkRunSummary accepts.
 */
function runSummaryOk(v: unknown): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  if (
    !Number.isInteger(m.id) ||
    !Number.isInteger(m.trialId) ||
    !Number.isInteger(m.experimentId) ||
    !Number.isInteger(m.repeat) ||
    typeof m.uid !== "string" ||
    typeof m.trialName !== "string" ||
    typeof m.experimentTitle !== "string" ||
    typeof m.status !== "string" ||
    typeof m.startTime !== "number" ||
    (m.endTime !== null && typeof m.endTime !== "number") ||
    !isPlainObject(m.params) ||
    !isPlainObject(m.finalMetrics) ||
    (m.note !== undefined && typeof m.note !== "string")
  )
    return false;
  const fm = m.finalMetrics as Record<string, unknown>;
  for (const k in fm) if (Object.hasOwn(fm, k) && typeof fm[k] !== "number") return false;
  if (m.metricRanges !== undefined) {
    if (!isPlainObject(m.metricRanges)) return false;
    const ranges = m.metricRanges as Record<string, unknown>;
    for (const k in ranges) {
      if (!Object.hasOwn(ranges, k)) continue;
      const r = ranges[k];
      if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== "number" || typeof r[1] !== "number") return false;
    }
  }
  if (m.tags !== undefined) {
    if (!Array.isArray(m.tags)) return false;
    for (const t of m.tags) if (typeof t !== "string") return false;
  }
  return true;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkRunSummary(v: unknown, path: string): RunSummary {
  if (runSummaryOk(v)) return v as RunSummary;
  const m = obj(v, path);
  for (const k of ["id", "trialId", "experimentId", "repeat"] as const) int(m[k], `${path}.${k}`);
  for (const k of ["uid", "trialName", "experimentTitle", "status"] as const) str(m[k], `${path}.${k}`);
  num(m.startTime, `${path}.startTime`);
  nullableNum(m.endTime, `${path}.endTime`);
  obj(m.params, `${path}.params`);
  const fm = obj(m.finalMetrics, `${path}.finalMetrics`);
  for (const [k, x] of Object.entries(fm)) num(x, `${path}.finalMetrics.${k}`);
  optional(m.metricRanges, (x) => {
    for (const [k, r] of Object.entries(obj(x, `${path}.metricRanges`))) {
      const pair = arr(r, `${path}.metricRanges.${k}`);
      if (pair.length !== 2) throw new Invalid(`${path}.metricRanges.${k}: expected [min, max]`);
      pair.forEach((n, i) => num(n, `${path}.metricRanges.${k}[${i}]`));
    }
  });
  optional(m.note, (x) => str(x, `${path}.note`));
  optional(m.tags, (x) => arr(x, `${path}.tags`).forEach((t, i) => str(t, `${path}.tags[${i}]`)));
  return m as unknown as RunSummary;
}

/** checkSeriesKey's test without path strings (see runSummaryOk). */
function seriesKeyOk(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.key === "string" &&
    SCOPES.includes(m.scope as (typeof SCOPES)[number]) &&
    Number.isInteger(m.count) &&
    (m.minStep === null || typeof m.minStep === "number") &&
    (m.maxStep === null || typeof m.maxStep === "number") &&
    typeof m.custom === "boolean" &&
    (m.metric === undefined || typeof m.metric === "string") &&
    (m.label === undefined || typeof m.label === "string") &&
    (m.label === undefined) === (m.metric === undefined)
  );
}

function checkPanelRun(v: unknown, path: string): PanelRun {
  if (isPlainObject(v)) {
    const m = v as Record<string, unknown>;
    if (runSummaryOk(m.summary) && Array.isArray(m.keys) && m.keys.every(seriesKeyOk)) return m as unknown as PanelRun;
  }
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
  checkTableSettings(m.table, `${path}.table`);
  const group = str(m.groupBy, `${path}.groupBy`);
  if (group !== "none" && group !== "trial" && !/^param:./.test(group))
    throw new Invalid(`${path}.groupBy: "none", "trial" or "param:<name>", got ${JSON.stringify(group)}`);
  oneOf(m.band, `${path}.band`, ["minmax", "std"] as const);
  bool(m.showGroupRuns, `${path}.showGroupRuns`);
  checkCompareSettings(m.compare, `${path}.compare`);
  return m as unknown as PanelSettings;
}

function checkCompareSettings(v: unknown, path: string): void {
  const m = obj(v, path);
  if (m.metrics !== null)
    arr(m.metrics, `${path}.metrics`).forEach((x, i) => {
      const c = obj(x, `${path}.metrics[${i}]`);
      str(c.key, `${path}.metrics[${i}].key`);
      oneOf(c.pick, `${path}.metrics[${i}].pick`, ["last", "best"] as const);
      oneOf(c.direction, `${path}.metrics[${i}].direction`, ["min", "max"] as const);
    });
  str(m.scatterX, `${path}.scatterX`);
  str(m.scatterY, `${path}.scatterY`);
}

function checkTableSettings(v: unknown, path: string): void {
  const m = obj(v, path);
  str(m.filter, `${path}.filter`);
  for (const k of ["hiddenColumns", "pinnedColumns"] as const)
    arr(m[k], `${path}.${k}`).forEach((x, i) => str(x, `${path}.${k}[${i}]`));
  for (const [k, x] of Object.entries(obj(m.summaries, `${path}.summaries`)))
    oneOf(x, `${path}.summaries.${k}`, METRIC_SUMMARIES);
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

function runPair(v: unknown, path: string): void {
  const ids = arr(v, path);
  if (ids.length !== 2) throw new Invalid(`${path}: expected two run ids, got ${ids.length}`);
  ids.forEach((x, i) => int(x, `${path}[${i}]`));
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
    const type = oneOf(m.type, "message.type", [
      "init",
      "runs",
      "series",
      "append",
      "checkpoints",
      "notice",
      "selectRuns",
      "comparison",
    ] as const);
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
        arr(m.checkpoints, "checkpoints.checkpoints").forEach((c, i) =>
          checkCheckpoint(c, `checkpoints.checkpoints[${i}]`),
        );
        break;
      case "notice":
        oneOf(m.level, "notice.level", ["info", "warning", "error"] as const);
        str(m.message, "notice.message");
        break;
      case "selectRuns":
        arr(m.runIds, "selectRuns.runIds").forEach((x, i) => int(x, `selectRuns.runIds[${i}]`));
        break;
      case "comparison":
        runPair(m.runIds, "comparison.runIds");
        arr(m.differences, "comparison.differences").forEach((d, i) =>
          str(obj(d, `comparison.differences[${i}]`).path, `comparison.differences[${i}].path`),
        );
        int(m.same, "comparison.same");
        optional(m.error, (x) => str(x, "comparison.error"));
        break;
    }
    return m as unknown as HostToWebview;
  });
}

/** Validates a message received by the host. */
export function validateWebviewMessage(v: unknown): Validation<WebviewToHost> {
  return run(() => {
    const m = obj(v, "message");
    const type = oneOf(m.type, "message.type", [
      "ready",
      "requestSeries",
      "state",
      "export",
      "revealCheckpoint",
      "webviewError",
      "editRun",
      "compareRuns",
    ] as const);
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
      case "editRun":
        int(m.runId, "editRun.runId");
        oneOf(m.what, "editRun.what", ["note", "tags"] as const);
        break;
      case "compareRuns":
        runPair(m.runIds, "compareRuns.runIds");
        break;
    }
    return m as unknown as WebviewToHost;
  });
}
