/**
 * CSV and JSON export of the series a chart shows (visible runs, current x range, every point
 * held, not just the drawn buckets), with the smoothed value next to the raw one. Each row names
 * the metric's scope: a key logged per batch and per epoch (train_loss) is two series, which
 * must not read as one. Cells go through the runtime's csvCell (quoting, no formulas).
 */
import type { Scope } from "../../../runtime/src/common/vocabulary";
import { csvRow } from "../../../runtime/src/results/csv";

export interface ExportSeries {
  key: string;
  scope: Scope;
  runId: number;
  runName: string;
  /** The host reduced this series; `totalPoints` is its size in the database. */
  downsampled: boolean;
  totalPoints: number;
  steps: ArrayLike<number>;
  times: ArrayLike<number>;
  values: ArrayLike<number>;
  smoothed: ArrayLike<number>;
}

export const CSV_HEADER = "metric,scope,run_id,run,step,time,wall_time_iso,value,smoothed";

export function toCsv(series: ExportSeries[]): string {
  const lines = [CSV_HEADER];
  for (const s of series) {
    for (let i = 0; i < s.steps.length; i++) {
      const t = s.times[i];
      const iso = Number.isFinite(t) ? new Date(t).toISOString() : "";
      lines.push(csvRow([s.key, s.scope, s.runId, s.runName, s.steps[i], t, iso, s.values[i], s.smoothed[i]]));
    }
  }
  return lines.join("\n") + "\n";
}

/** JSON cannot hold NaN/Infinity: they are written as strings, as in the events contract. */
function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export function toJson(series: ExportSeries[], meta: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      ...meta,
      series: series.map((s) => ({
        metric: s.key,
        scope: s.scope,
        runId: s.runId,
        run: s.runName,
        downsampled: s.downsampled,
        totalPoints: s.totalPoints,
        steps: Array.from(s.steps),
        times: Array.from(s.times),
        values: Array.from(s.values, jsonNumber),
        smoothed: Array.from(s.smoothed, jsonNumber),
      })),
    },
    null,
    1,
  );
}

/** A file name from a title: letters, digits, dashes. */
export function fileSafe(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "metrics"
  );
}
