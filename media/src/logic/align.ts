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

/** One y column to align: its x values (ascending), and optionally the indices to draw. */
export interface Line {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Drawn indices into xs/ys, ascending; every point when omitted. */
  indices?: ArrayLike<number>;
}

export type Column = (number | null)[];

interface Picked {
  xs: ArrayLike<number>;
  indices?: ArrayLike<number>;
}

function size(p: Picked): number {
  return p.indices ? p.indices.length : p.xs.length;
}

/** The sorted distinct x values drawn by any of the lists. */
function unionX(lists: readonly Picked[]): number[] {
  let total = 0;
  for (const p of lists) total += size(p);
  const all = new Float64Array(total);
  let k = 0;
  for (const p of lists) {
    const n = size(p);
    for (let j = 0; j < n; j++) all[k++] = p.xs[p.indices ? p.indices[j] : j];
  }
  all.sort();
  const x: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) x.push(all[i]);
  return x;
}

/** Returns [x, run0raw, run0smooth, run1raw, ...]. Non-finite and (with log) non-positive y become null. */
export function alignRuns(runs: RunPoints[], log: boolean): [number[], ...Column[]] {
  const x = unionX(runs);
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

/** Returns [x, line0, line1, ...] for lines with x values of their own (band edges, means, runs). */
export function alignLines(lines: readonly Line[], log: boolean): [number[], ...Column[]] {
  const x = unionX(lines);
  const out: [number[], ...Column[]] = [x];
  for (const l of lines) {
    const col: Column = new Array(x.length).fill(null);
    const n = size(l);
    let p = 0;
    for (let j = 0; j < n; j++) {
      const i = l.indices ? l.indices[j] : j;
      const xv = l.xs[i];
      while (x[p] < xv) p++;
      const v = l.ys[i];
      col[p] = Number.isFinite(v) && (!log || v > 0) ? v : null;
    }
    out.push(col);
  }
  return out;
}
