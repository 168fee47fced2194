/**
 * What the runs table shows, without the DOM: the columns in display order (pinned first, hidden
 * ones out), the filter expression compiled against those columns, and the rows that pass it.
 * The table (media/src/table) renders this; the benchmark and the tests drive it directly.
 */
import type { RunSummary } from "@expman/runtime/contracts";
import type { TableSettings } from "../../../client/src/webview/contract";
import { RUN_STATUS_NAMES } from "../../../runtime/src/common/vocabulary";
import { compileFilter, FilterError, type FieldAccess, type FilterContext } from "./filter-expr";
import { runLabel, type Column } from "./table";

/** Shown columns in display order: pinned ones first (in pin order), then the rest as offered. */
export function layoutColumns(all: readonly Column[], table: TableSettings): { shown: Column[]; pinned: number } {
  const hidden = new Set(table.hiddenColumns);
  const byId = new Map(all.map((c) => [c.id, c]));
  const pinned: Column[] = [];
  for (const id of table.pinnedColumns) {
    const c = byId.get(id);
    if (c && !hidden.has(id)) pinned.push(c);
  }
  const pinnedIds = new Set(pinned.map((c) => c.id));
  const rest = all.filter((c) => !hidden.has(c.id) && !pinnedIds.has(c.id));
  return { shown: [...pinned, ...rest], pinned: pinned.length };
}

const BUILTIN: Record<string, FieldAccess<RunSummary>> = {
  run: { get: runLabel },
  trial: { get: (r) => r.trialName },
  experiment: { get: (r) => r.experimentTitle },
  status: { get: (r) => r.status, values: RUN_STATUS_NAMES },
  note: { get: (r) => r.note ?? "" },
  tags: { get: (r) => r.tags ?? [], many: true },
  tag: { get: (r) => r.tags ?? [], many: true },
  repeat: { get: (r) => r.repeat },
  seed: { get: (r) => r.seed },
  id: { get: (r) => r.id },
  epochs: { get: (r) => r.epochCount },
};

/**
 * Names a filter can use: the built-in ones (run, trial, status, note, tags, repeat, seed, id,
 * epochs), every param and metric by its name, or by its column id (`param:lr`, `metric:lr`)
 * when a param and a metric share a name. A metric reads the summary its column shows.
 */
export function filterContext(columns: readonly Column[]): FilterContext<RunSummary> {
  const byName = new Map<string, FieldAccess<RunSummary>>();
  for (const c of columns) {
    if (c.kind !== "param" && c.kind !== "metric") continue;
    const access = { get: c.get };
    byName.set(c.id, access);
    // A param wins the bare name over a metric of the same name (its column id still reaches both).
    if (!byName.has(c.label) || c.kind === "param") byName.set(c.label, access);
  }
  return {
    resolve: (name) => BUILTIN[name.toLowerCase()] ?? byName.get(name),
    names: () => [...Object.keys(BUILTIN), ...byName.keys()],
    text: (r) => `${runLabel(r)}\n${r.status}\n${r.note ?? ""}\n${(r.tags ?? []).join("\n")}`,
  };
}

export type FilterResult =
  { ok: true; keep: Set<number> | null; matched: number } | { ok: false; error: string; at: number };

/** Runs (by id) passing the expression; `keep` is null for an empty expression (no filter). */
export function applyFilter(runs: readonly RunSummary[], columns: readonly Column[], expression: string): FilterResult {
  let predicate: ((r: RunSummary) => boolean) | null;
  try {
    predicate = compileFilter(expression, filterContext(columns));
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, error: e.message, at: e.at };
    throw e;
  }
  if (!predicate) return { ok: true, keep: null, matched: runs.length };
  const keep = new Set<number>();
  for (const r of runs) if (predicate(r)) keep.add(r.id);
  return { ok: true, keep, matched: keep.size };
}
