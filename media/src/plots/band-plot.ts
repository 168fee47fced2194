/**
 * A chart's runs grouped (by trial, or by a parameter's value): per group a mean line with a
 * band (min–max or ±1 std) over its runs' smoothed values, optionally with each run faint
 * underneath. Builds uPlot's data, series and bands; MetricChart draws them.
 */
import type uPlot from "uplot";
import { alignLines, type Line } from "../logic/align";
import { aggregateBand, type BandKind, type RunGroup } from "../logic/band";
import type { RunPoints } from "../logic/align";
import type { ChartRun } from "../ui/chart";
import { withAlpha } from "../ui/theme";

export interface BandOptions {
  kind: BandKind;
  buckets: number;
  zoom: [number, number] | null;
  showRuns: boolean;
  logY: boolean;
}

export interface BandPlot {
  data: [number[], ...(number | null)[][]];
  /** uPlot series after the x series. */
  series: uPlot.Series[];
  bands: uPlot.Band[];
  /** Identifies the series layout: a change rebuilds the plot. */
  signature: string;
  drawnPoints: number;
  /** One line per group for the screen-reader summary. */
  described: string[];
  /** Time spent aggregating (for the benchmark). */
  aggregateMs: number;
}

/**
 * `shown[i]` and `points[i]` are the same run (as MetricChart computed them); groups list run
 * ids, and runs not shown in this chart are skipped.
 */
export function bandPlot(
  groups: readonly RunGroup[],
  shown: readonly { run: ChartRun; xs: Float64Array; smooth: Float64Array }[],
  points: readonly RunPoints[],
  o: BandOptions,
): BandPlot {
  const byRun = new Map(shown.map((s, i) => [s.run.runId, i]));
  const lines: Line[] = [];
  const series: uPlot.Series[] = [];
  const bands: uPlot.Band[] = [];
  const described: string[] = [];
  const signature: unknown[] = [o.kind, o.showRuns];
  let aggregateMs = 0;
  let drawnPoints = 0;
  for (const g of groups) {
    const members = g.runIds.map((id) => byRun.get(id)).filter((i): i is number => i !== undefined);
    if (members.length === 0) continue;
    const style = shown[members[0]].run.style;
    const t0 = performance.now();
    const band = aggregateBand(
      members.map((i) => ({ xs: shown[i].xs, ys: shown[i].smooth, length: shown[i].run.series.length })),
      o.kind,
      o.buckets,
      o.zoom ?? undefined,
    );
    aggregateMs += performance.now() - t0;
    if (o.showRuns)
      for (const i of members) {
        const p = points[i];
        lines.push({ xs: p.xs, ys: p.smooth, indices: p.indices });
        series.push({ label: shown[i].run.label, stroke: withAlpha(style.color, 0.35), width: 1, spanGaps: true });
        drawnPoints += p.indices.length;
      }
    const base = series.length + 1; // uPlot index of this group's first column (0 is x)
    lines.push({ xs: band.xs, ys: band.lo }, { xs: band.xs, ys: band.hi }, { xs: band.xs, ys: band.mean });
    const edge = { stroke: withAlpha(style.color, 0.3), width: 0.5, spanGaps: true, points: { show: false } };
    series.push(
      { ...edge, label: `${g.label} (${o.kind === "std" ? "−1 std" : "min"})` },
      { ...edge, label: `${g.label} (${o.kind === "std" ? "+1 std" : "max"})` },
      {
        label: `${g.label} (mean of ${members.length})`,
        stroke: style.color,
        width: 2,
        dash: style.dash,
        spanGaps: true,
      },
    );
    bands.push({ series: [base + 1, base], fill: withAlpha(style.color, 0.18) });
    drawnPoints += band.length;
    signature.push(g.id, members.length, style.color, o.showRuns ? members.map((i) => shown[i].run.runId) : 0);
    let last = NaN;
    for (let i = band.length - 1; i >= 0 && last !== last; i--) last = band.mean[i];
    described.push(
      `${g.label}: mean of ${members.length} run${members.length === 1 ? "" : "s"} with a ${o.kind === "std" ? "±1 std" : "min–max"} band, ${band.length} points, last mean ${Number.isFinite(last) ? Number(last.toPrecision(4)) : "none"}`,
    );
  }
  return {
    data: alignLines(lines, o.logY),
    series,
    bands,
    signature: JSON.stringify(signature),
    drawnPoints,
    described,
    aggregateMs,
  };
}
