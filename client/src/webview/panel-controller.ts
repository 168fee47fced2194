/**
 * The host side of one metrics panel, without `vscode`: answers the webview's requests from a
 * MetricsDataSource, relays live run events as coalesced append-only deltas, and keeps the
 * settings the webview reports so the panel can be restored. metrics-panel.ts wires it to a
 * real WebviewPanel; tests wire it to a recorded transport.
 */
import type { MetricsEvent, MetricsPoint, RunEvent, RunSummary, Scope } from "@expman/runtime/contracts";
// By path: it imports nothing, so the browser harness bundles the controller without Node modules.
import { diffRunConfigs } from "../../../runtime/src/results/settings-diff";
import { validateWebviewMessage } from "./validate";
import { packSeries } from "./wire";
import {
  CONTRACT_VERSION,
  DEFAULT_SETTINGS,
  type WireSeries,
  type ComparisonMessage,
  type HostToWebview,
  type PanelRun,
  type PanelSelection,
  type PanelSettings,
  type WebviewToHost,
} from "./contract";
import type { Disposable, MetricsDataSource } from "./data-source";
import { DEFAULT_FLUSH_MS, LiveCoalescer } from "./live-coalescer";

export interface PanelHost {
  post(message: HostToWebview): void | PromiseLike<unknown>;
  /** Asks the user where to save, writes the bytes; returns the path, or undefined if cancelled. */
  saveFile(suggestedName: string, format: "csv" | "json" | "png", bytes: Uint8Array): Promise<string | undefined>;
  log(message: string): void;
  setTitle?(title: string): void;
  /** The webview's settings changed: remember them for the next time this selection opens. */
  saveSettings?(settings: PanelSettings): void;
  /** Asks the user for a run's note or tags and stores them; true when something was saved. */
  editRun?(runId: number, what: "note" | "tags", db?: string): Promise<boolean>;
}

/** Series queries in flight at once per panel (the query service answers one at a time anyway). */
const QUERY_CONCURRENCY = 8;

/** Promise.allSettled with at most `limit` calls running. */
async function settleWithLimit<T, R>(
  items: T[],
  limit: number,
  call: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await call(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Metrics of runs not (yet) in the panel's run list are held this long, and up to this many
 * points per run: a new run of the experiment is listed only after a refresh, and its first
 * points must not fall between the database snapshot the webview fetches and the live stream.
 */
const UNKNOWN_RUN_HOLD_MS = 15_000;
const UNKNOWN_RUN_MAX_POINTS = 100_000;

/** How long to wait before re-listing runs after a lifecycle event (status, a new run). */
const RUNS_REFRESH_MS = 500;
/**
 * While runs log points, the run list (the table's last values, epochs) is re-read at most this
 * often: without it the table stood still until the run ended.
 */
export const LIVE_RUNS_REFRESH_MS = 2_000;

export class PanelController {
  settings: PanelSettings;
  private readonly coalescer: LiveCoalescer;
  private readonly subscription: Disposable;
  private uidToId = new Map<string, number>();
  private readonly unknownRuns = new Map<string, { since: number; points: number; events: MetricsEvent[] }>();
  private runsTimer: ReturnType<typeof setTimeout> | undefined;
  private runsDue = 0;
  private disposed = false;
  private ready = false;

  constructor(
    readonly selection: PanelSelection,
    private readonly source: MetricsDataSource,
    private readonly host: PanelHost,
    settings?: PanelSettings,
    flushMs = DEFAULT_FLUSH_MS,
  ) {
    this.settings = settings ?? { ...DEFAULT_SETTINGS, hiddenRuns: [] };
    this.coalescer = new LiveCoalescer((deltas) => this.post({ type: "append", deltas }), flushMs);
    this.subscription = source.onRunEvent((e) => this.onRunEvent(e));
  }

  /** Entry point for every message the webview posts. Invalid ones are logged and dropped. */
  async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.host.log(`metrics panel: dropped a webview message: ${checked.error}`);
      return;
    }
    try {
      await this.handle(checked.value);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.host.log(`metrics panel: ${checked.value.type} failed: ${message}`);
      this.post({ type: "notice", level: "error", message: `${checked.value.type} failed: ${message}` });
    }
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case "ready":
        this.ready = true;
        await this.sendInit();
        return;
      case "requestSeries": {
        const results = await settleWithLimit(m.queries, QUERY_CONCURRENCY, (q) =>
          this.source.getSeries(q, this.selection.db),
        );
        const series: WireSeries[] = [];
        const errors = [];
        for (let i = 0; i < results.length; i++) {
          const r = results[i];
          if (r.status === "fulfilled") {
            series.push(packSeries(r.value));
            const q = m.queries[i];
            // A whole (unzoomed) fetch tells the coalescer what the webview now holds.
            if (q.maxStep === undefined && r.value.steps.length > 0) {
              this.coalescer.noteSent(
                r.value.runId,
                r.value.scope,
                r.value.key,
                r.value.steps[r.value.steps.length - 1],
                r.value.label,
              );
            }
          } else {
            errors.push({
              query: m.queries[i],
              message: r.reason instanceof Error ? r.reason.message : String(r.reason),
            });
          }
        }
        this.post({ type: "series", requestId: m.requestId, series, errors });
        return;
      }
      case "state":
        this.settings = m.settings;
        this.host.saveSettings?.(m.settings);
        return;
      case "export": {
        const bytes = m.format === "png" ? base64ToBytes(m.content) : new TextEncoder().encode(m.content);
        const path = await this.host.saveFile(m.suggestedName, m.format, bytes);
        if (path) this.post({ type: "notice", level: "info", message: `Saved ${path}` });
        return;
      }
      case "revealCheckpoint":
        await this.source.revealCheckpoint({
          runId: m.runId,
          checkpointId: m.checkpointId,
          path: m.path,
          db: this.selection.db,
        });
        return;
      case "webviewError":
        this.host.log(`metrics webview: ${m.message}`);
        return;
      case "editRun":
        if (!this.host.editRun) throw new Error("editing notes and tags is not available here");
        if (await this.host.editRun(m.runId, m.what, this.selection.db)) await this.refreshRuns();
        return;
      case "compareRuns":
        this.post(await this.compare(m.runIds));
        return;
    }
  }

  /** Lists the runs again now (a note or tags changed). */
  async refreshRuns(): Promise<void> {
    if (!this.ready || this.disposed) return;
    this.post({ type: "runs", runs: await this.loadRuns() });
  }

  /**
   * Reads the points the store has past what the charts hold, for runs that send no events: a
   * run of the Python original started with experimentManager.python.runCommand only writes its
   * database. They reach the charts as live points do (appended, never twice).
   */
  async followStore(): Promise<void> {
    if (!this.ready || this.disposed) return;
    const held = this.coalescer.heldSeries();
    const results = await settleWithLimit(held, QUERY_CONCURRENCY, (h) =>
      this.source.getSeries(
        { runId: h.runId, key: h.key, scope: h.scope as Scope, label: h.label, afterStep: h.lastStep },
        this.selection.db,
      ),
    );
    if (this.disposed) return;
    for (const r of results) {
      if (r.status !== "fulfilled" || r.value.steps.length === 0) continue;
      const s = r.value;
      const points: MetricsPoint[] = s.steps.map((step, i) => ({
        key: s.key,
        scope: s.scope,
        step,
        value: s.values[i] ?? s.nonFinite?.[i] ?? "NaN",
        time: s.times[i],
        ...(s.label !== undefined ? { metric: s.metric, label: s.label } : {}),
      }));
      this.coalescer.add(s.runId, { points });
    }
    this.coalescer.flush();
  }

  /** Shows runs selected elsewhere (the Experiments tree) as selected in the panel. */
  selectRuns(runIds: number[]): void {
    if (this.ready) this.post({ type: "selectRuns", runIds });
  }

  private async compare(runIds: [number, number]): Promise<ComparisonMessage> {
    const none: ComparisonMessage = { type: "comparison", runIds, differences: [], same: 0 };
    if (!this.source.runConfig) return { ...none, error: "This panel cannot read run configs." };
    const [a, b] = await Promise.all(runIds.map((id) => this.source.runConfig!(id, this.selection.db)));
    const missing = runIds.filter((_, i) => ![a, b][i]);
    if (!a || !b)
      return {
        ...none,
        error: `The config of run ${missing.join(" and ")} is not in the database (a run of the Python original, or from a version of expman that did not store it).`,
      };
    return { ...none, ...diffRunConfigs(a, b) };
  }

  private async loadRuns(): Promise<PanelRun[]> {
    const summaries: RunSummary[] = await this.source.listRuns(this.selection);
    this.uidToId = new Map(summaries.map((s) => [s.uid, s.id]));
    this.releaseHeldMetrics();
    return Promise.all(
      summaries.map(async (summary) => {
        let keys: PanelRun["keys"] = [];
        try {
          keys = await this.source.seriesKeys(summary.id, this.selection.db);
        } catch (e) {
          this.host.log(`metrics panel: keys of run ${summary.id}: ${e instanceof Error ? e.message : String(e)}`);
        }
        return { summary, keys };
      }),
    );
  }

  private async sendInit(): Promise<void> {
    const title = (await this.source.describe?.(this.selection).catch(() => undefined)) ?? defaultTitle(this.selection);
    this.host.setTitle?.(title);
    const runs = await this.loadRuns();
    this.post({ type: "init", v: CONTRACT_VERSION, title, selection: this.selection, runs, settings: this.settings });
    await Promise.all(runs.map((r) => this.sendCheckpoints(r.summary.id)));
  }

  private async sendCheckpoints(runId: number): Promise<void> {
    try {
      const checkpoints = await this.source.listCheckpoints(runId, this.selection.db);
      if (checkpoints.length > 0) this.post({ type: "checkpoints", runId, checkpoints });
    } catch (e) {
      this.host.log(`metrics panel: checkpoints of run ${runId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private onRunEvent(e: RunEvent): void {
    if (this.disposed) return;
    if (!this.ready) {
      // Nothing is listed before the webview is ready, but these points may be newer than the
      // database snapshot it will fetch (the store flushes on a timer): hold them like a new
      // run's, until the first listing releases them. Dropping them lost points for good.
      if (e.kind === "metrics" && e.ids?.run) this.holdMetrics(e.ids.run, e);
      return;
    }
    const runId = e.kind !== "log" && e.ids?.run ? this.uidToId.get(e.ids.run) : undefined;
    switch (e.kind) {
      case "metrics":
        if (runId !== undefined) {
          this.coalescer.add(runId, e);
          this.scheduleRunsRefresh(LIVE_RUNS_REFRESH_MS);
        } else if (this.selection.kind === "experiment" && e.ids?.run) this.holdMetrics(e.ids.run, e);
        return;
      case "checkpoint":
        if (runId !== undefined) void this.sendCheckpoints(runId);
        return;
      case "lifecycle":
        // A run of ours changed state, or a new run may belong to the experiment we show.
        if (e.level === "trial_run" && (runId !== undefined || this.selection.kind === "experiment"))
          this.scheduleRunsRefresh();
        return;
      default:
        return;
    }
  }

  private holdMetrics(uid: string, e: MetricsEvent): void {
    let held = this.unknownRuns.get(uid);
    if (!held) this.unknownRuns.set(uid, (held = { since: Date.now(), points: 0, events: [] }));
    if (held.points + e.points.length > UNKNOWN_RUN_MAX_POINTS) return;
    held.events.push(e);
    held.points += e.points.length;
    // No refresh from here: the run's lifecycle events (create/start) trigger one.
  }

  /** After a refresh: held metrics of runs now listed go live; stale ones are dropped. */
  private releaseHeldMetrics(): void {
    const now = Date.now();
    for (const [uid, held] of this.unknownRuns) {
      const runId = this.uidToId.get(uid);
      if (runId !== undefined) {
        for (const e of held.events) this.coalescer.add(runId, e);
        this.unknownRuns.delete(uid);
      } else if (now - held.since > UNKNOWN_RUN_HOLD_MS) this.unknownRuns.delete(uid);
    }
  }

  /** Re-lists the runs after `delayMs`, or sooner if a refresh is already due sooner. */
  private scheduleRunsRefresh(delayMs = RUNS_REFRESH_MS): void {
    const due = Date.now() + delayMs;
    if (this.runsTimer !== undefined) {
      if (this.runsDue <= due) return;
      clearTimeout(this.runsTimer);
    }
    this.runsDue = due;
    this.runsTimer = setTimeout(async () => {
      this.runsTimer = undefined;
      if (this.disposed) return;
      try {
        this.coalescer.flush();
        this.post({ type: "runs", runs: await this.loadRuns() });
      } catch (err) {
        this.host.log(`metrics panel: refreshing runs: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, delayMs);
  }

  private post(message: HostToWebview): void {
    if (this.disposed) return;
    const failed = (e: unknown) =>
      this.host.log(`metrics panel: post failed: ${e instanceof Error ? e.message : String(e)}`);
    try {
      Promise.resolve(this.host.post(message)).catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.runsTimer !== undefined) clearTimeout(this.runsTimer);
    this.coalescer.dispose();
    this.unknownRuns.clear();
    this.subscription.dispose();
  }
}

export function defaultTitle(s: PanelSelection): string {
  if (s.kind === "experiment") return `Metrics: experiment ${s.experimentId}`;
  return s.runIds.length === 1 ? `Metrics: run ${s.runIds[0]}` : `Compare ${s.runIds.length} runs`;
}

/** Decodes base64 with Node's Buffer in the extension host, atob elsewhere (the browser harness). */
function base64ToBytes(b64: string): Uint8Array {
  const buffer = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (buffer) return Uint8Array.from(buffer.from(b64, "base64"));
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
