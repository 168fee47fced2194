/**
 * Turns the run-event stream into append-only deltas for the webview: points are buffered per
 * series and flushed a few times a second, and a point is never sent twice (a step at or below
 * the last one sent for its series is dropped), so the webview only ever appends.
 */
import type { MetricsEvent } from "@expman/runtime/contracts";
import { decodeNumber, nonFiniteName, type NonFiniteName } from "../../../runtime/src/common/non-finite";
import type { SeriesDelta } from "./contract";

export const DEFAULT_FLUSH_MS = 250;

interface Pending extends SeriesDelta {
  nonFinite: Record<number, NonFiniteName>;
}

export class LiveCoalescer {
  private readonly pending = new Map<string, Pending>();
  private readonly lastStep = new Map<string, number>();
  /** The series the webview fetched (what `heldSeries` reads the store past). */
  private readonly fetched = new Map<string, { runId: number; scope: string; key: string; label?: string }>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly flushTo: (deltas: SeriesDelta[]) => void,
    private readonly flushMs = DEFAULT_FLUSH_MS,
  ) {}

  /** Adds the points of one metrics event of run `runId`. */
  add(runId: number, event: Pick<MetricsEvent, "points">): void {
    for (const p of event.points) {
      if (typeof p?.key !== "string") continue;
      const scope = p.scope === "epoch" || p.scope === "run" ? p.scope : "batch";
      // A per-label series is its own series even when its joined key equals another's.
      const label = typeof p.label === "string" && typeof p.metric === "string" ? p.label : undefined;
      const id = seriesId(runId, scope, p.key, label);
      const last = this.lastStep.get(id) ?? -Infinity;
      // Run-scope points carry no step: number them in arrival order.
      const step = typeof p.step === "number" ? p.step : Number.isFinite(last) ? last + 1 : 0;
      if (!(step > last)) continue;
      const value = decodeNumber(p.value);
      if (value === null) continue;
      let d = this.pending.get(id);
      if (!d) {
        d = { runId, key: p.key, scope, steps: [], values: [], times: [], nonFinite: {} };
        if (label !== undefined) {
          d.metric = p.metric;
          d.label = label;
        }
        this.pending.set(id, d);
      }
      const i = d.steps.length;
      d.steps.push(step);
      d.times.push(typeof p.time === "number" ? p.time : Date.now());
      if (Number.isFinite(value)) d.values.push(value);
      else {
        d.values.push(null);
        d.nonFinite[i] = nonFiniteName(value);
      }
      this.lastStep.set(id, step);
    }
    if (this.pending.size > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Records what the webview already has (from a fetch), so live points do not repeat it. */
  noteSent(runId: number, scope: string, key: string, step: number, label?: string): void {
    const id = seriesId(runId, scope, key, label);
    if (step > (this.lastStep.get(id) ?? -Infinity)) this.lastStep.set(id, step);
    this.fetched.set(id, { runId, scope, key, ...(label !== undefined ? { label } : {}) });
  }

  /** The series the webview fetched, with the last step it holds of each. */
  heldSeries(): { runId: number; scope: string; key: string; label?: string; lastStep: number }[] {
    return [...this.fetched].map(([id, s]) => ({ ...s, lastStep: this.lastStep.get(id) ?? -Infinity }));
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const deltas: SeriesDelta[] = [];
    for (const d of this.pending.values()) {
      const out: SeriesDelta = {
        runId: d.runId,
        key: d.key,
        scope: d.scope,
        steps: d.steps,
        values: d.values,
        times: d.times,
      };
      if (Object.keys(d.nonFinite).length > 0) out.nonFinite = d.nonFinite;
      if (d.label !== undefined) {
        out.metric = d.metric;
        out.label = d.label;
      }
      deltas.push(out);
    }
    this.pending.clear();
    this.flushTo(deltas);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}

function seriesId(runId: number, scope: string, key: string, label: string | undefined): string {
  return label === undefined
    ? `${runId}\u0000${scope}\u0000${key}`
    : `${runId}\u0000${scope}\u0000${key}\u0000${label}`;
}
