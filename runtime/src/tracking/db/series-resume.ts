import { ChunkScratch, decodeChunk } from "./chunk-codec";
import { CHUNK_POINTS } from "./schema";
import type { SeriesBuffer } from "./series-buffer";
import type { Statements } from "./write-statements";

/**
 * Continues a series that is already in the file (a resumed run, an owner made again after its
 * level ended): its row, counts, and its partial last chunk, so the next flush appends to that
 * chunk instead of writing a second one with the same sequence number.
 */
export function resumeSeries(st: Statements, s: SeriesBuffer): void {
  const row = st.seriesByOwnerKey.get(s.owner.experimentId, s.owner.trialId, s.owner.runId, s.key, s.scope, s.label) as
    | {
        id: number;
        count: number;
        text_count: number;
        min_step: number | null;
        max_step: number | null;
        last_step: number | null;
        last_value: number | null;
        last_time: number | null;
      }
    | undefined;
  if (!row) return;
  s.id = row.id;
  s.count = row.count;
  s.textCount = row.text_count;
  s.minStep = row.min_step ?? Infinity;
  s.maxStep = row.max_step ?? -Infinity;
  s.lastStep = row.last_step ?? NaN;
  s.lastValue = row.last_value ?? NaN;
  s.lastTime = row.last_time ?? 0;
  const last = st.lastChunk.get(row.id) as
    | {
        seq: number;
        n: number;
        enc: number;
        min_step: number | null;
        first_time: number;
        steps: Buffer;
        vals: Buffer;
        times: Buffer;
      }
    | undefined;
  if (!last) return;
  if (last.n >= CHUNK_POINTS) {
    s.seq = last.seq + 1;
    return;
  }
  s.seq = last.seq;
  s.n = s.flushedN = last.n;
  const decoded = decodeChunk(
    last.enc,
    last.n,
    last.min_step,
    last.first_time,
    last.steps,
    last.vals,
    last.times,
    new ChunkScratch(),
  );
  s.steps.set(decoded.steps.subarray(0, last.n));
  s.values.set(decoded.values.subarray(0, last.n));
  s.times.set(decoded.times.subarray(0, last.n));
}
