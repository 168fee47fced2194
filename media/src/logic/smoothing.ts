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
  /** weight^count, kept as a running product (Math.pow per point is the slow part). */
  power: number;
  /** How many input points have been consumed. */
  length: number;
}

export function emptyEma(weight: number): EmaState {
  return { weight, accumulator: 0, count: 0, power: 1, length: 0 };
}

/** Smooths values[state.length, end) into out (same indices); returns the advanced state. */
export function continueEma(values: ArrayLike<number>, end: number, out: Float64Array, state: EmaState): EmaState {
  const w = state.weight;
  const keep = 1 - w;
  let acc = state.accumulator;
  let n = state.count;
  let power = state.power;
  let i = state.length;
  if (w === 0) {
    for (; i < end; i++) out[i] = values[i];
    return { weight: w, accumulator: acc, count: n, power: 0, length: end };
  }
  // While w^n is noticeable, divide by the debias term 1 - w^n ...
  for (; i < end && power > 1e-17; i++) {
    const y = values[i];
    if (y - y !== 0) {
      out[i] = y; // NaN or ±Infinity: drawn as a gap, the average is not touched
      continue;
    }
    acc = acc * w + keep * y;
    n++;
    power *= w;
    out[i] = acc / (1 - power);
  }
  // ... afterwards it is 1 to double precision: the plain recurrence (the hot path).
  for (; i < end; i++) {
    const y = values[i];
    if (y - y !== 0) {
      out[i] = y;
      continue;
    }
    acc = acc * w + keep * y;
    n++;
    out[i] = acc;
  }
  if (power <= 1e-17) power = 0;
  return { weight: w, accumulator: acc, count: n, power, length: end };
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
