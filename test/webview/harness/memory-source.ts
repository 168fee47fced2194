/**
 * A real, in-memory MetricsDataSource: runs and series held in typed arrays, reduced to
 * min/max/last buckets and step ranges the way the query service does. Used by the browser
 * harness (standing in for `expman serve`, which a plain page cannot spawn) and by the
 * controller's unit tests.
 */
import type {
  RunConfig,
  CheckpointRecord,
  RunEvent,
  RunSummary,
  Scope,
  Series,
  SeriesKey,
  SeriesQuery,
} from "@expman/runtime/contracts";
import type { PanelSelection } from "../../../client/src/webview/contract";
import type { Disposable, MetricsDataSource } from "../../../client/src/webview/data-source";
import { downsampleRange, lowerBound, upperBound } from "../../../media/src/logic/downsample";

export interface StoredSeries {
  key: string;
  scope: Scope;
  custom?: boolean;
  /** A per-label series (issue 9): `key` is `<metric>/<label>`. */
  metric?: string;
  label?: string;
  steps: Float64Array;
  values: Float64Array;
  times: Float64Array;
}

export interface StoredRun {
  summary: RunSummary;
  series: StoredSeries[];
  checkpoints: CheckpointRecord[];
}

export class MemorySource implements MetricsDataSource {
  readonly runs = new Map<number, StoredRun>();
  readonly revealed: { runId: number; checkpointId: number; path: string }[] = [];
  readonly queries: SeriesQuery[] = [];
  private readonly listeners = new Set<(e: RunEvent) => void>();
  /** When false, bucket requests are ignored and whole series are returned (worst case for the webview). */
  reduce = true;
  /** Resolved when the scenario is loaded; calls wait for it (the harness configures late). */
  ready: Promise<void> = Promise.resolve();
  /** Delay of every answer, ms (the query service answers over a pipe, not at once). */
  latencyMs = 0;
  /** The configs runs used ("Compare settings"), by run id; a run without one has none stored. */
  readonly configs = new Map<number, RunConfig>();

  async runConfig(runId: number): Promise<RunConfig | null> {
    await this.delay();
    return this.configs.get(runId) ?? null;
  }

  private async delay(): Promise<void> {
    await this.ready;
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
  }

  add(run: StoredRun): void {
    this.runs.set(run.summary.id, run);
  }

  async listRuns(selection: PanelSelection): Promise<RunSummary[]> {
    await this.delay();
    const all = [...this.runs.values()].map((r) => r.summary);
    if (selection.kind === "experiment") return all.filter((r) => r.experimentId === selection.experimentId);
    return all.filter((r) => selection.runIds.includes(r.id));
  }

  async seriesKeys(runId: number): Promise<SeriesKey[]> {
    await this.delay();
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    return run.series
      .filter((s) => s.steps.length > 0)
      .map((s) => ({
        key: s.key,
        scope: s.scope,
        count: s.steps.length,
        minStep: s.steps.length ? s.steps[0] : null,
        maxStep: s.steps.length ? s.steps[s.steps.length - 1] : null,
        custom: s.custom ?? false,
        ...(s.label !== undefined ? { metric: s.metric ?? s.key, label: s.label } : {}),
      }));
  }

  async getSeries(q: SeriesQuery): Promise<Series> {
    this.queries.push(q);
    await this.delay();
    const run = this.runs.get(q.runId);
    const s = run?.series.find(
      (x) => x.key === q.key && (q.scope === undefined || x.scope === q.scope) && x.label === q.label,
    );
    if (!s) throw new Error(`series ${q.key} of run ${q.runId} not found`);
    const n = s.steps.length;
    let from = q.minStep !== undefined ? lowerBound(s.steps, n, q.minStep) : 0;
    if (q.afterStep !== undefined) from = Math.max(from, upperBound(s.steps, n, q.afterStep));
    const to = q.maxStep !== undefined ? upperBound(s.steps, n, q.maxStep) : n;
    let indices: ArrayLike<number>;
    let downsampled = false;
    if (this.reduce && q.buckets !== undefined && to - from > q.buckets * 3) {
      const lo = s.steps[from];
      const hi = s.steps[to - 1];
      const sub = downsampleRange(
        s.steps.subarray(from, to),
        s.values.subarray(from, to),
        to - from,
        lo,
        hi,
        q.buckets,
      );
      indices = Int32Array.from(sub, (i) => i + from);
      downsampled = true;
    } else {
      indices = Int32Array.from({ length: Math.max(0, to - from) }, (_, i) => i + from);
    }
    return toSeries(q.runId, s, indices, downsampled);
  }

  async listCheckpoints(runId: number): Promise<CheckpointRecord[]> {
    return this.runs.get(runId)?.checkpoints ?? [];
  }

  onRunEvent(listener: (e: RunEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  emit(e: RunEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * What a tracker does with a point: stores it (as the DB tracker does; a point without a
   * step gets its index in the series, as the store reports it) and keeps the run's summary
   * (last value per key) current. Returns nothing; emit() streams the event separately.
   */
  store(
    runId: number,
    points: {
      key: string;
      scope: StoredSeries["scope"];
      step?: number | null;
      value: number;
      time: number;
      metric?: string;
      label?: string;
    }[],
  ): void {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    for (const p of points) {
      let s = run.series.find((x) => x.key === p.key && x.scope === p.scope && x.label === p.label);
      if (!s)
        run.series.push(
          (s = {
            key: p.key,
            scope: p.scope,
            ...(p.label !== undefined ? { metric: p.metric, label: p.label } : {}),
            steps: new Float64Array(0),
            values: new Float64Array(0),
            times: new Float64Array(0),
          }),
        );
      const n = s.steps.length;
      const step = typeof p.step === "number" ? p.step : n;
      if (n > 0 && !(step > s.steps[n - 1])) continue;
      const grow = (a: Float64Array, v: number) => {
        const b = new Float64Array(n + 1);
        b.set(a);
        b[n] = v;
        return b;
      };
      s.steps = grow(s.steps, step);
      s.values = grow(s.values, p.value);
      s.times = grow(s.times, p.time);
      run.summary = { ...run.summary, finalMetrics: { ...run.summary.finalMetrics, [p.key]: p.value } };
    }
  }

  revealCheckpoint(target: { runId: number; checkpointId: number; path: string }): void {
    this.revealed.push({ runId: target.runId, checkpointId: target.checkpointId, path: target.path });
  }

  async describe(selection: PanelSelection): Promise<string> {
    return selection.kind === "experiment" ? `Experiment ${selection.experimentId}` : `${selection.runIds.length} runs`;
  }
}

/** Column layout of the results contract: non-finite values as null plus the nonFinite map. */
export function toSeries(runId: number, s: StoredSeries, indices: ArrayLike<number>, downsampled: boolean): Series {
  const m = indices.length;
  const steps = new Array<number>(m);
  const values = new Array<number | null>(m);
  const times = new Array<number>(m);
  const nonFinite: Record<number, "NaN" | "Infinity" | "-Infinity"> = {};
  let anyNonFinite = false;
  for (let j = 0; j < m; j++) {
    const i = indices[j];
    steps[j] = s.steps[i];
    times[j] = s.times[i];
    const v = s.values[i];
    if (Number.isFinite(v)) values[j] = v;
    else {
      values[j] = null;
      nonFinite[j] = Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      anyNonFinite = true;
    }
  }
  const out: Series = {
    runId,
    key: s.key,
    scope: s.scope,
    steps,
    values,
    times,
    totalPoints: s.steps.length,
    downsampled,
  };
  if (anyNonFinite) out.nonFinite = nonFinite;
  if (s.label !== undefined) {
    out.metric = s.metric ?? s.key;
    out.label = s.label;
  }
  return out;
}

export function summary(id: number, patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    uid: `run-${id}`,
    trialId: 1,
    experimentId: 1,
    trialName: `trial-${id}`,
    experimentTitle: "harness",
    repeat: 0,
    seed: id,
    status: "SUCCESS",
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_100_000,
    epochCount: 10,
    params: { lr: 0.001 * id, batch: 32, optimizer: "adam" },
    finalMetrics: {},
    error: null,
    workspace: null,
    ...patch,
  };
}

/** A training-like curve: decaying loss with noise and a few spikes, deterministic. */
export function syntheticSeries(
  key: string,
  n: number,
  opts: {
    scope?: StoredSeries["scope"];
    seed?: number;
    start?: number;
    dtMs?: number;
    spikes?: number[];
    custom?: boolean;
  } = {},
): StoredSeries {
  const steps = new Float64Array(n);
  const values = new Float64Array(n);
  const times = new Float64Array(n);
  let x = (opts.seed ?? 1) * 2654435761;
  const start = opts.start ?? 1_700_000_000_000;
  const dt = opts.dtMs ?? 10;
  const scale = 1 + (opts.seed ?? 1) * 0.1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const noise = x / 2147483648 - 0.5;
    steps[i] = i;
    values[i] = scale * (1 / (1 + i / (n / 20 + 1))) + 0.05 * noise;
    times[i] = start + i * dt;
  }
  for (const at of opts.spikes ?? []) if (at < n) values[at] = 10 * scale;
  return { key, scope: opts.scope ?? "batch", custom: opts.custom, steps, values, times };
}
