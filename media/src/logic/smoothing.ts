/**
 * Debiased exponential moving average, as TensorBoard's smoothing slider: the accumulator
 * starts at zero and each output is divided by (1 - w^n), so early points are not pulled
 * toward zero. Non-finite inputs pass through (drawn as gaps) and do not disturb the average.
 * The state is kept so live appends continue the average in O(new points).
 */
export interface EmaState {
  weight: number;
  accumulator: number;
  count: number;
  /** How many input points have been consumed. */
  length: number;
}

export function emptyEma(weight: number): EmaState {
  return { weight, accumulator: 0, count: 0, length: 0 };
}

/** Smooths values[state.length, end) into out (same indices); returns the advanced state. */
export function continueEma(values: ArrayLike<number>, end: number, out: Float64Array, state: EmaState): EmaState {
  const w = state.weight;
  let acc = state.accumulator;
  let n = state.count;
  for (let i = state.length; i < end; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    acc = acc * w + (1 - w) * y;
    n++;
    out[i] = w === 0 ? y : acc / (1 - Math.pow(w, n));
  }
  return { weight: w, accumulator: acc, count: n, length: end };
}

export function debiasedEma(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  continueEma(values, values.length, out, emptyEma(clampWeight(weight)));
  return out;
}

export function clampWeight(w: number): number {
  if (!Number.isFinite(w)) return 0;
  return Math.min(0.999, Math.max(0, w));
}
