/**
 * Pages of an experiment's trials for the tree at scale (`trials.page`): which metric the
 * experiment watches (from the config it was planned with), how its trials are ordered, and the
 * page itself. Pure: the store supplies per-trial figures from SQL, other readers from their
 * run lists (`trialStatsFromRuns`).
 */
import type { RunStatusName } from "../common/vocabulary";
import type { RunSummary, TrialOrder, TrialPage, TrialPageEntry, TrialSummary, WatchedMetric } from "./contract";

/** Trials per page when the request names no limit. */
export const DEFAULT_PAGE = 200;

/** What `trials.page` sorts: a trial (id and name), its runs by status, and the final values of the watched metric. */
export interface TrialStats {
  id: number;
  name: string;
  runStatusCounts: Partial<Record<RunStatusName, number>>;
  /** Final values of the watched metric, one per run that has one. */
  values: number[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const modeOf = (v: unknown): "min" | "max" | undefined => (v === "min" || v === "max" ? v : undefined);

/** The stored config (configFingerprint: `{env, experiment, base, trials}`), or undefined. */
export function parseStoredConfig(text: string | null | undefined): Json | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function trialEntries(config: Json | undefined): Json[] {
  const trials = config?.trials;
  return Array.isArray(trials) ? trials.filter(isObject) : [];
}

/** Whether trials.yaml holds a `sweep:` entry (the trials were expanded from it). */
export function isSweep(config: Json | undefined): boolean {
  return trialEntries(config).some((t) => t.sweep !== undefined);
}

/**
 * The metric the experiment watches: a sweep's own `metric` (and `mode`, default min), or its
 * `median_stop` rule's, else the first EarlyStopping callback of base.yaml (`metric` default
 * val_loss, `mode` default min, as the callback itself).
 */
export function watchedMetric(config: Json | undefined): WatchedMetric | undefined {
  for (const t of trialEntries(config)) {
    const sweep = t.sweep;
    if (!isObject(sweep)) continue;
    for (const [where, holder] of [
      ["the sweep's metric", sweep],
      ["the sweep's median_stop", sweep.median_stop],
      ["the trial's median_stop", t.median_stop],
    ] as const) {
      if (isObject(holder) && typeof holder.metric === "string" && holder.metric !== "")
        return { key: holder.metric, mode: modeOf(holder.mode) ?? "min", source: where };
    }
  }
  const base = config?.base;
  const pipeline = isObject(base) ? base.pipeline : undefined;
  const callbacks = isObject(pipeline) ? pipeline.callbacks : undefined;
  if (Array.isArray(callbacks)) {
    for (const cb of callbacks) {
      if (!isObject(cb) || cb.type !== "EarlyStopping") continue;
      const params = isObject(cb.params) ? { ...cb, ...cb.params } : cb;
      const key = typeof params.metric === "string" && params.metric !== "" ? params.metric : "val_loss";
      return { key, mode: modeOf(params.mode) ?? "min", source: "EarlyStopping" };
    }
  }
  return undefined;
}

/**
 * The order of an experiment's trials: best first for a sweep, or for more trials than one
 * page (by the watched metric when known, else by status then name); otherwise trials.yaml's.
 */
export function trialOrder(config: Json | undefined, trialCount: number): TrialOrder {
  if (!isSweep(config) && trialCount <= DEFAULT_PAGE) return { by: "plan" };
  const metric = watchedMetric(config);
  return metric ? { by: "metric", metric } : { by: "status" };
}

/** Best first: a trial with a succeeded run before one that only stopped, ran, waited, aborted or failed. */
const STATUS_RANK: Record<RunStatusName, number> = {
  SUCCESS: 0,
  FINISHED: 0,
  STOPPED: 1,
  RUNNING: 2,
  QUEUED: 3,
  ABORTED: 4,
  FAILED: 5,
  SKIPPED: 6,
};

function statusRank(counts: Partial<Record<RunStatusName, number>>): number {
  let best = 7;
  for (const [status, n] of Object.entries(counts) as [RunStatusName, number][])
    if (n > 0) best = Math.min(best, STATUS_RANK[status] ?? 7);
  return best;
}

function bestOf(values: number[], mode: "min" | "max"): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (best === null || (mode === "min" ? v < best : v > best)) best = v;
  }
  return best;
}

/** A trial in its place in the order, with its best value (order `metric`). */
export interface RankedTrial {
  stats: TrialStats;
  best: number | null;
}

const byName = new Intl.Collator(undefined, { numeric: true }).compare;

/** The trials in the order `order` says (plan order: as given). */
export function sortTrials(stats: TrialStats[], order: TrialOrder): RankedTrial[] {
  const entries = stats.map((s) => ({
    stats: s,
    best: order.by === "metric" ? bestOf(s.values, order.metric.mode) : null,
    rank: statusRank(s.runStatusCounts),
  }));
  if (order.by !== "plan") {
    const sign = order.by === "metric" && order.metric.mode === "max" ? -1 : 1;
    entries.sort((a, b) => {
      if (a.best !== null && b.best !== null && a.best !== b.best) return sign * (a.best - b.best);
      if ((a.best === null) !== (b.best === null)) return a.best === null ? 1 : -1;
      return a.rank - b.rank || byName(a.stats.name, b.stats.name) || a.stats.id - b.stats.id;
    });
  }
  return entries;
}

/**
 * The page [offset, offset + limit) of sorted trials, with the page's summaries from
 * `summaries` (only those: a 10,000-trial sweep builds 200).
 */
export function pageOf(
  sorted: RankedTrial[],
  order: TrialOrder,
  offset: number,
  limit: number,
  summaries: (ids: number[]) => TrialSummary[],
): TrialPage {
  const start = Math.max(0, Math.floor(offset));
  const page = sorted.slice(start, start + Math.max(0, Math.floor(limit)));
  const byId = new Map(summaries(page.map((e) => e.stats.id)).map((t) => [t.id, t]));
  const trials: TrialPageEntry[] = [];
  for (const e of page) {
    const summary = byId.get(e.stats.id);
    if (!summary) continue;
    const entry: TrialPageEntry = { ...summary, runStatusCounts: e.stats.runStatusCounts };
    if (order.by === "metric") entry.best = e.best;
    trials.push(entry);
  }
  return { total: sorted.length, order, trials };
}

/** sortTrials then pageOf. */
export function pageTrials(
  stats: TrialStats[],
  order: TrialOrder,
  offset: number,
  limit: number,
  summaries: (ids: number[]) => TrialSummary[],
): TrialPage {
  return pageOf(sortTrials(stats, order), order, offset, limit, summaries);
}

/** Per-trial figures from a reader's own lists (readers without a faster way: the Python original's files). */
export function trialStatsFromRuns(trials: TrialSummary[], runs: RunSummary[], metric?: string): TrialStats[] {
  const byTrial = new Map<number, TrialStats>();
  for (const t of trials) byTrial.set(t.id, { id: t.id, name: t.name, runStatusCounts: {}, values: [] });
  for (const run of runs) {
    const stats = byTrial.get(run.trialId);
    if (!stats) continue;
    stats.runStatusCounts[run.status] = (stats.runStatusCounts[run.status] ?? 0) + 1;
    const value = metric === undefined ? undefined : run.finalMetrics[metric];
    if (typeof value === "number") stats.values.push(value);
  }
  return [...byTrial.values()];
}
