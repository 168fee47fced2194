/**
 * How a chunk's three columns are stored (`chunk.enc`, a bit set; schema version 2):
 *
 * - values: always Float64Array bytes (NaN and ±Infinity kept).
 * - steps:  Float64Array bytes, or, with STEPS_CONSECUTIVE, an empty blob meaning
 *           `min_step + i` (the common case: global batch counter, epoch index).
 * - times:  Float64Array bytes (ms), or, with TIMES_U32_OFFSETS, Uint32Array milliseconds
 *           after `first_time` (when every time is a whole ms within 49 days of the first).
 *
 * enc = 0 is the plain layout of schema version 1, so old chunks read unchanged. The two
 * shortcuts take a 1M-point series from 24 to about 12 bytes a point, and reads get faster
 * by as much.
 */

export const STEPS_CONSECUTIVE = 1;
export const TIMES_U32_OFFSETS = 2;

export interface EncodedChunk {
  enc: number;
  steps: Buffer;
  values: Buffer;
  times: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** A view of a typed array's first `count` elements as bytes (no copy). */
function bytes(array: Float64Array | Uint32Array, count: number): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, count * array.BYTES_PER_ELEMENT);
}

/**
 * Encodes the first `n` points. Returned buffers may be views of the inputs (and of one
 * scratch array for times): bind them before the next call. better-sqlite3 copies blobs when
 * binding (SQLITE_TRANSIENT), so that is enough.
 */
export function encodeChunk(
  steps: Float64Array,
  values: Float64Array,
  times: Float64Array,
  n: number,
  scratch: Uint32Array,
): EncodedChunk {
  let enc = 0;
  const first = steps[0];
  let consecutive = n > 0 && first === first;
  for (let i = 1; consecutive && i < n; i++) if (steps[i] !== first + i) consecutive = false;
  if (consecutive) enc |= STEPS_CONSECUTIVE;

  const t0 = times[0];
  let offsets = n > 0 && Number.isInteger(t0);
  for (let i = 0; offsets && i < n; i++) {
    const d = times[i] - t0;
    if (!(d >= 0 && d <= 0xffffffff && Number.isInteger(d))) offsets = false;
    else scratch[i] = d;
  }
  if (offsets) enc |= TIMES_U32_OFFSETS;

  return {
    enc,
    steps: consecutive ? EMPTY : bytes(steps, n),
    values: bytes(values, n),
    times: offsets ? bytes(scratch, n) : bytes(times, n),
  };
}

/** Reusable decode targets, so a long read allocates per query, not per chunk. */
export class ChunkScratch {
  steps = new Float64Array(0);
  times = new Float64Array(0);
  values = new Float64Array(0);

  ensure(n: number): void {
    if (this.steps.length < n) {
      this.steps = new Float64Array(n);
      this.times = new Float64Array(n);
      this.values = new Float64Array(n);
    }
  }
}

/**
 * Decodes a chunk row into Float64Arrays of length >= n. Plain, aligned blobs are used in
 * place; everything else is decoded into `scratch` (valid until the next call).
 */
export function decodeChunk(
  enc: number,
  n: number,
  minStep: number | null,
  firstTime: number,
  stepBlob: Buffer,
  valueBlob: Buffer,
  timeBlob: Buffer,
  scratch: ChunkScratch,
): { steps: Float64Array; values: Float64Array; times: Float64Array } {
  scratch.ensure(n);
  let steps: Float64Array;
  if (enc & STEPS_CONSECUTIVE) {
    steps = scratch.steps;
    const s0 = minStep ?? 0;
    for (let i = 0; i < n; i++) steps[i] = s0 + i;
  } else {
    steps = float64View(stepBlob, n, scratch.steps);
  }
  const values = float64View(valueBlob, n, scratch.values);
  let times: Float64Array;
  if (enc & TIMES_U32_OFFSETS) {
    times = scratch.times;
    const offsets =
      timeBlob.byteOffset % 4 === 0
        ? new Uint32Array(timeBlob.buffer, timeBlob.byteOffset, n)
        : new Uint32Array(Uint8Array.from(timeBlob.subarray(0, n * 4)).buffer);
    for (let i = 0; i < n; i++) times[i] = firstTime + offsets[i];
  } else {
    times = float64View(timeBlob, n, scratch.times);
  }
  return { steps, values, times };
}

/** The blob as a Float64Array, copied into `fallback` only when it is not 8-byte aligned. */
function float64View(blob: Buffer, n: number, fallback: Float64Array): Float64Array {
  if (blob.byteOffset % 8 === 0) return new Float64Array(blob.buffer, blob.byteOffset, n);
  new Uint8Array(fallback.buffer, 0, n * 8).set(blob.subarray(0, n * 8));
  return fallback;
}
