import { encodeChunk } from "./chunk-codec";
import type { Owner } from "./run-owner";
import { CHUNK_POINTS } from "./schema";
import { chunkStats, type SeriesBuffer } from "./series-buffer";
import { safeJson } from "./values";
import type { Statements } from "./write-statements";

/** Flush when this many buffered epoch values, or text values, wait (one object each). */
const MAX_PENDING_ROWS = 65536;

interface EpochValue {
  runId: number;
  epoch: number;
  key: string;
  value: number;
  step: number | null;
  time: number;
}

interface TextValue {
  series: SeriesBuffer;
  step: number | null;
  epoch: number | null;
  batch: number | null;
  time: number;
  json: string;
}

/**
 * What waits for the next flush: metric series with unwritten points, epoch values, text
 * values and epoch batch counts. The store writes them all in one transaction (write()), and
 * only once that committed do the buffers forget them (committed()), so a rolled-back flush
 * (the file was locked) loses nothing.
 */
export class PointBuffer {
  private dirty: SeriesBuffer[] = [];
  private epochValues: EpochValue[] = [];
  private texts: TextValue[] = [];
  private countOwners: Owner[] = [];
  /** Full chunks waiting to be written (the flush bound counts these). */
  pendingChunks = 0;
  private readonly timeScratch = new Uint32Array(CHUNK_POINTS);

  constructor(
    private readonly st: Statements,
    /** A buffer reached its bound: the store flushes unless a locked file's next try is not due. */
    private readonly onBound: (time: number) => void,
  ) {}

  get isEmpty(): boolean {
    return (
      this.dirty.length === 0 &&
      this.epochValues.length === 0 &&
      this.texts.length === 0 &&
      this.countOwners.length === 0
    );
  }

  /** Appends one numeric point to its series' open chunk (a null step is NaN). */
  append(series: SeriesBuffer, step: number, value: number, time: number): void {
    if (series.append(step, value, time)) this.pendingChunks++;
    if (!series.dirty) this.markDirty(series);
  }

  markDirty(series: SeriesBuffer): void {
    series.dirty = true;
    this.dirty.push(series);
  }

  addEpochValue(runId: number, epoch: number, key: string, value: number, step: number | null, time: number): void {
    if (this.epochValues.push({ runId, epoch, key, value, step, time }) >= MAX_PENDING_ROWS) this.onBound(time);
  }

  addText(
    series: SeriesBuffer,
    step: number | null,
    epoch: number | null,
    batch: number | null,
    time: number,
    value: unknown,
  ): void {
    series.textCount++;
    const pending = this.texts.push({ series, step, epoch, batch, time, json: safeJson(value) });
    if (!series.dirty) this.markDirty(series);
    if (pending >= MAX_PENDING_ROWS) this.onBound(time);
  }

  /** One batch of the owner's current epoch ended (a count, not a row). */
  countBatch(owner: Owner): void {
    if (owner.countedEpoch === null) return;
    owner.batchCount++;
    if (!owner.batchCountDirty) {
      owner.batchCountDirty = true;
      this.countOwners.push(owner);
    }
  }

  /** Writes the owner's batch count as it is now, even if the write waits for the lock. */
  batchCountWriter(owner: Owner): (() => void) | undefined {
    if (owner.countedEpoch === null || owner.runId === null) return undefined;
    const count = owner.batchCount;
    const runId = owner.runId;
    const epoch = owner.countedEpoch;
    owner.batchCountDirty = false;
    return () => this.st.epochBatchCount.run(count, runId, epoch);
  }

  private writeBatchCount(owner: Owner): void {
    if (owner.countedEpoch === null || owner.runId === null) return;
    this.st.epochBatchCount.run(owner.batchCount, owner.runId, owner.countedEpoch);
    owner.batchCountDirty = false;
  }

  /** Inside the flush's transaction: every buffered row. Series rows it inserts go to `fresh`. */
  write(fresh: SeriesBuffer[]): void {
    const st = this.st;
    for (const s of this.dirty) {
      if (s.id === 0) {
        s.id = Number(
          st.insertSeries.run(
            s.owner.experimentId,
            s.owner.trialId,
            s.owner.runId,
            s.key,
            s.scope,
            s.custom ? 1 : 0,
            s.label,
          ).lastInsertRowid,
        );
        fresh.push(s);
      }
      for (const c of s.sealed) this.writeChunk(s, c.seq, c.steps, c.values, c.times, c.steps.length);
      if (s.n > s.flushedN) {
        this.writeChunk(s, s.seq, s.steps, s.values, s.times, s.n);
        s.rememberTail(s.steps, s.values, s.times, s.n);
      }
      st.updateSeries.run(
        s.count,
        s.textCount,
        Number.isFinite(s.minStep) ? s.minStep : null,
        Number.isFinite(s.maxStep) ? s.maxStep : null,
        Number.isNaN(s.lastStep) ? null : s.lastStep,
        s.count > 0 ? s.lastValue : null,
        s.count > 0 ? s.lastTime : null,
        s.id,
      );
    }
    // Only the last value of each (run, epoch, key) matters: write that one.
    const written = new Set<string>();
    for (let i = this.epochValues.length - 1; i >= 0; i--) {
      const v = this.epochValues[i];
      const id = `${v.runId}\u0000${v.epoch}\u0000${v.key}`;
      if (written.has(id)) continue;
      written.add(id);
      st.ensureEpoch.run(v.runId, v.epoch, v.time);
      st.upsertEpochMetric.run(v.runId, v.epoch, v.key, v.value, v.step, v.time);
    }
    for (const t of this.texts) st.insertText.run(t.series.id, t.step, t.epoch, t.batch, t.time, t.json);
    for (const o of this.countOwners) if (o.batchCountDirty) this.writeBatchCount(o);
  }

  private writeChunk(
    s: SeriesBuffer,
    seq: number,
    steps: Float64Array,
    values: Float64Array,
    times: Float64Array,
    n: number,
  ): void {
    const stats = chunkStats(steps, values, times, n);
    if (stats.minStep !== null && stats.minStep < s.minStep) s.minStep = stats.minStep;
    if (stats.maxStep !== null && stats.maxStep > s.maxStep) s.maxStep = stats.maxStep;
    const encoded = encodeChunk(steps, values, times, n, this.timeScratch);
    this.st.upsertChunk.run(
      s.id,
      seq,
      n,
      stats.minStep,
      stats.maxStep,
      stats.minValue,
      stats.maxValue,
      stats.firstTime,
      stats.lastTime,
      encoded.enc,
      encoded.steps,
      encoded.values,
      encoded.times,
    );
  }

  /** Only once the transaction committed do the buffers forget what they wrote. */
  committed(): void {
    for (const s of this.dirty) {
      s.sealed = [];
      s.flushedN = s.n;
      s.dirty = false;
    }
    this.clear();
  }

  /** The store failed: nothing buffered can be written, and keeping it would grow without bound. */
  drop(): void {
    for (const s of this.dirty) {
      s.sealed = [];
      s.dirty = false;
    }
    this.clear();
  }

  private clear(): void {
    this.dirty = [];
    this.epochValues = [];
    this.texts = [];
    this.countOwners = [];
    this.pendingChunks = 0;
  }
}
