import { CHUNK_POINTS } from "./schema";

import type { Scope } from "../../common/vocabulary";

/** A full chunk waiting to be written. */
export interface SealedChunk {
  seq: number;
  steps: Float64Array;
  values: Float64Array;
  times: Float64Array;
}

/** Ranges of one chunk, stored next to its blobs so readers can skip it without decoding. */
export interface ChunkStats {
  minStep: number | null;
  maxStep: number | null;
  minValue: number | null;
  maxValue: number | null;
  firstTime: number;
  lastTime: number;
}

/** Who a series belongs to: the ids of its experiment, trial and run rows. */
export interface SeriesOwnerIds {
  experimentId: number;
  trialId: number | null;
  runId: number | null;
}

/**
 * The in-memory tail of one metric series (one key, one scope, one owner). Points go into the
 * open chunk's typed arrays; a full chunk is sealed (its arrays handed over, fresh ones
 * allocated) and waits for the next flush. A flush also writes the open chunk as a partial row,
 * which later flushes overwrite until it is full, so the DB is never far behind.
 */
export class SeriesBuffer {
  /** Row id in `series`, 0 until the first flush inserts it. */
  id = 0;
  steps = new Float64Array(CHUNK_POINTS);
  values = new Float64Array(CHUNK_POINTS);
  times = new Float64Array(CHUNK_POINTS);
  /** Points in the open chunk. */
  n = 0;
  /** Points of the open chunk already written as a partial row. */
  flushedN = 0;
  /** Sequence number of the open chunk. */
  seq = 0;
  sealed: SealedChunk[] = [];
  /** Whether it is on the store's dirty list. */
  dirty = false;
  /** Numeric points appended so far (written or not). */
  count = 0;
  textCount = 0;
  minStep = Infinity;
  maxStep = -Infinity;
  lastStep = NaN;
  lastValue = NaN;
  lastTime = 0;

  constructor(
    readonly owner: SeriesOwnerIds,
    readonly key: string,
    readonly scope: Scope,
    readonly custom: boolean,
    /** The label of a per-label series (`key` is then `<metric>/<label>`). */
    readonly label: string | null = null,
  ) {}

  /** Appends one point; returns true when it filled (and sealed) a chunk. A null step is NaN. */
  append(step: number, value: number, time: number): boolean {
    const i = this.n;
    this.steps[i] = step;
    this.values[i] = value;
    this.times[i] = time;
    this.n = i + 1;
    this.count++;
    if (this.n === CHUNK_POINTS) {
      this.seal();
      return true;
    }
    return false;
  }

  private seal(): void {
    this.rememberTail(this.steps, this.values, this.times, this.n);
    this.sealed.push({ seq: this.seq, steps: this.steps, values: this.values, times: this.times });
    this.steps = new Float64Array(CHUNK_POINTS);
    this.values = new Float64Array(CHUNK_POINTS);
    this.times = new Float64Array(CHUNK_POINTS);
    this.n = 0;
    this.flushedN = 0;
    this.seq++;
  }

  /** Keeps the summary (step range, last point) up to date from a chunk about to be written. */
  rememberTail(steps: Float64Array, values: Float64Array, times: Float64Array, n: number): void {
    if (n === 0) return;
    this.lastStep = steps[n - 1];
    this.lastValue = values[n - 1];
    this.lastTime = times[n - 1];
  }

  /** Whether there is anything not yet in the database. */
  get pending(): boolean {
    return this.sealed.length > 0 || this.n > this.flushedN;
  }
}

/** Step and value ranges of the first `n` points (NaN steps and values are ignored). */
export function chunkStats(steps: Float64Array, values: Float64Array, times: Float64Array, n: number): ChunkStats {
  let minStep = Infinity;
  let maxStep = -Infinity;
  let minValue = Infinity;
  let maxValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = steps[i];
    if (s < minStep) minStep = s;
    if (s > maxStep) maxStep = s;
    const v = values[i];
    if (v < minValue) minValue = v;
    if (v > maxValue) maxValue = v;
  }
  return {
    minStep: minStep === Infinity ? null : minStep,
    maxStep: maxStep === -Infinity ? null : maxStep,
    minValue: minValue === Infinity && maxValue === -Infinity ? null : minValue,
    maxValue: minValue === Infinity && maxValue === -Infinity ? null : maxValue,
    firstTime: times[0],
    lastTime: times[n - 1],
  };
}
