import type { Scope } from "../../common/vocabulary";
import { SeriesBuffer, type SeriesOwnerIds } from "./series-buffer";

/** The row ids a point, param or artifact is filed under, plus the run's buffers. */
export class Owner implements SeriesOwnerIds {
  readonly batchSeries = new Map<string, SeriesBuffer>();
  readonly epochSeries = new Map<string, SeriesBuffer>();
  readonly runSeries = new Map<string, SeriesBuffer>();
  /** Run owners: the epoch being counted and its batches (no row per batch, for speed). */
  countedEpoch: number | null = null;
  /** Whether countedEpoch has started and not ended (onCreate and onStart both announce it). */
  epochOpen = false;
  batchCount = 0;
  batchCountDirty = false;
  /** Set when the store let go of it (its level ended); trackers holding it resolve again. */
  released = false;

  constructor(
    readonly experimentId: number,
    readonly trialId: number | null,
    readonly runId: number | null,
    /** For owners whose series may already be in the file: loads a series' state from there. */
    private readonly resume?: (series: SeriesBuffer) => void,
  ) {}

  series(key: string, scope: Scope, custom: boolean, label: string | null = null): SeriesBuffer {
    const map = scope === "batch" ? this.batchSeries : scope === "epoch" ? this.epochSeries : this.runSeries;
    // A per-label series is keyed by its label too: the total `x/a/b` and metric `x` with label
    // `a/b` join to the same key text but are two series (as in the file's unique index).
    const id = seriesId(key, label);
    let s = map.get(id);
    if (s === undefined) {
      s = new SeriesBuffer(this, key, scope, custom, label);
      this.resume?.(s);
      map.set(id, s);
    }
    if (s.custom !== custom) {
      // One series per (run, key, scope): a custom metric named like a standard one would
      // put two values per step into it. Refused, naming it, instead of merged.
      throw new TypeError(
        `DBTracker: the custom metric '${key}' has the name of a standard metric tracked in the same ${scope} scope; their values would merge into one series. Rename the custom metric (e.g. '${key}_custom').`,
      );
    }
    return s;
  }
}

/** The in-memory key of a series: its key, and its label when it has one (see Owner.series). */
function seriesId(key: string, label: string | null): string {
  return label === null ? key : `${key}\u0000${label}`;
}
