/**
 * Builds uPlot's aligned data for one chart: a shared, sorted x column (the union of every
 * run's drawn x values) and per run a raw and a smoothed y column with nulls where that run
 * has no point (uPlot spans those gaps).
 */
export interface RunPoints {
  xs: ArrayLike<number>;
  raw: ArrayLike<number>;
  smooth: ArrayLike<number>;
  /** Drawn indices into xs/raw/smooth, ascending. */
  indices: ArrayLike<number>;
}

export type Column = (number | null)[];

/** Returns [x, run0raw, run0smooth, run1raw, ...]. Non-finite and (with log) non-positive y become null. */
export function alignRuns(runs: RunPoints[], log: boolean): [number[], ...Column[]] {
  let total = 0;
  for (const r of runs) total += r.indices.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const r of runs) for (let j = 0; j < r.indices.length; j++) all[k++] = r.xs[r.indices[j]];
  all.sort();
  const x: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) x.push(all[i]);
  const out: [number[], ...Column[]] = [x];
  const ok = (v: number): number | null => (Number.isFinite(v) && (!log || v > 0) ? v : null);
  for (const r of runs) {
    const raw: Column = new Array(x.length).fill(null);
    const smooth: Column = new Array(x.length).fill(null);
    let p = 0;
    for (let j = 0; j < r.indices.length; j++) {
      const i = r.indices[j];
      const xv = r.xs[i];
      while (x[p] < xv) p++;
      raw[p] = ok(r.raw[i]);
      smooth[p] = ok(r.smooth[i]);
    }
    out.push(raw, smooth);
  }
  return out;
}
