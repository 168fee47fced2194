/**
 * Browser harness host. The VS Code host cannot run in a plain page, so this file FAKES ONLY
 * the VS Code webview API (acquireVsCodeApi, and postMessage back to the page as a
 * MessageEvent, as VS Code delivers it). Everything behind it is real: the panel controller
 * (client/src/webview/panel-controller.ts) with its validation and live coalescing, and an
 * in-memory data source that reduces series the way the query service does.
 */
import type { RunEvent, Scope } from "@expman/runtime/contracts";
import type { HostToWebview, PanelSelection, PanelSettings, WebviewToHost } from "../../../client/src/webview/contract";
import { selectionKey } from "../../../client/src/webview/wire";
import { PanelController } from "../../../client/src/webview/panel-controller";
import { MemorySource, summary, syntheticSeries, type StoredRun } from "./memory-source";

export interface Harness {
  source: MemorySource;
  controller: PanelController | undefined;
  toWebview: HostToWebview[];
  fromWebview: WebviewToHost[];
  exports: { name: string; format: string; bytes: number }[];
  logs: string[];
  state: unknown;
  /** Loads runs and opens the panel on `selection`. */
  /** `settings`: what the extension restores (a panel opened again, or after a reload). */
  start(selection: PanelSelection, runs: StoredRun[], options?: { flushMs?: number; settings?: PanelSettings }): void;
  /** Sends a raw message to the webview, bypassing the controller (bad-input tests). */
  sendRaw(message: unknown): void;
  emit(event: RunEvent): void;
  /** A tracker logging points of a run: stored in the source, then streamed as one metrics event. */
  log(
    runId: number,
    points: {
      key: string;
      scope: Scope;
      step?: number | null;
      value: number;
      time: number;
      metric?: string;
      label?: string;
    }[],
  ): void;
  /** A run's lifecycle as the runtime streams it; `create` adds the run to the source first. */
  lifecycle(runId: number, phase: "create" | "start" | "end", patch?: Partial<StoredRun["summary"]>): void;
  summary: typeof summary;
  syntheticSeries: typeof syntheticSeries;
  scenarios: typeof scenarios;
  /** Keep only counts of sent messages (benchmarks send very large ones). */
  recordMessages: boolean;
}

const T0 = 1_700_000_000_000;

/** Ready-made data sets for the browser tests. */
const scenarios = {
  /** Three runs: a 5,000-point batch loss with a spike, a 50-epoch accuracy, checkpoints. */
  standard(points = 5000): StoredRun[] {
    return [1, 2, 3].map((id) => ({
      summary: summary(id, { finalMetrics: { "val/acc": 0.8 + id / 100 }, params: { lr: 0.001 * id, batch: 32 } }),
      series: [
        syntheticSeries("train/loss", points, { seed: id, spikes: [Math.floor(points / 2)] }),
        syntheticSeries("val/acc", 50, { scope: "epoch", seed: id, dtMs: 1000 }),
      ],
      checkpoints: [
        {
          id: id * 10,
          runId: id,
          epoch: 20,
          path: `/ws/ck/run${id}/epoch20.pt`,
          final: false,
          time: T0 + 20 * 1000,
          metrics: { "val/acc": 0.8 },
        },
      ],
    }));
  },
  /** Bad input: no metrics, NaN/Infinity values, a single point. */
  bad(): StoredRun[] {
    const withNonFinite = syntheticSeries("train/loss", 200, { seed: 2 });
    withNonFinite.values[10] = NaN;
    withNonFinite.values[20] = Infinity;
    withNonFinite.values[30] = -Infinity;
    const single = syntheticSeries("val/acc", 1, { scope: "epoch", seed: 3 });
    return [
      { summary: summary(1, { trialName: "empty" }), series: [], checkpoints: [] },
      { summary: summary(2, { trialName: "nonfinite" }), series: [withNonFinite], checkpoints: [] },
      {
        summary: summary(3, { trialName: "single" }),
        series: [single, syntheticSeries("train/loss", 100, { seed: 3 })],
        checkpoints: [],
      },
    ];
  },
  /** One run with a series of `points` points. */
  huge(points: number): StoredRun[] {
    return [
      {
        summary: summary(1, { trialName: "huge" }),
        series: [syntheticSeries("train/loss", points, { seed: 1, spikes: [Math.floor(points * 0.37)] })],
        checkpoints: [],
      },
    ];
  },
};

let release: () => void = () => undefined;
const source = new MemorySource();
source.ready = new Promise<void>((r) => (release = r));

const harness: Harness = {
  source,
  controller: undefined,
  toWebview: [],
  fromWebview: [],
  exports: [],
  logs: [],
  state: undefined,
  recordMessages: true,
  start(selection, runs, options = {}) {
    for (const r of runs) source.add(r);
    harness.controller = new PanelController(
      selection,
      source,
      {
        post: (m) => {
          if (harness.recordMessages) harness.toWebview.push(m);
          window.postMessage(m, "*");
        },
        saveFile: async (name, format, bytes) => {
          harness.exports.push({ name, format, bytes: bytes.length });
          return `/tmp/${name}`;
        },
        log: (line) => harness.logs.push(line),
      },
      options.settings,
      options.flushMs ?? 100,
    );
    document.body.dataset.selection = selectionKey(selection);
    release();
    for (const m of early.splice(0)) void harness.controller.receive(m);
  },
  sendRaw(message) {
    window.postMessage(message, "*");
  },
  emit(event) {
    source.emit(event);
  },
  log(runId, points) {
    source.store(runId, points);
    const wire = points.map((p) => ({
      key: p.key,
      scope: p.scope,
      step: p.step ?? null,
      value: p.value,
      time: p.time,
      ...(p.label !== undefined ? { metric: p.metric, label: p.label } : {}),
    }));
    source.emit({ v: 1, t: Date.now(), kind: "metrics", ids: { run: `run-${runId}` }, points: wire } as RunEvent);
  },
  lifecycle(runId, phase, patch = {}) {
    const existing = source.runs.get(runId);
    if (!existing)
      source.add({
        summary: summary(runId, { status: "RUNNING", endTime: null, finalMetrics: {}, ...patch }),
        series: [],
        checkpoints: [],
      });
    else existing.summary = { ...existing.summary, ...patch };
    source.emit({
      v: 1,
      t: Date.now(),
      kind: "lifecycle",
      phase,
      level: "trial_run",
      ids: { experiment: "exp-1", trial: `trial-${runId}`, run: `run-${runId}` },
    } as RunEvent);
  },
  summary,
  syntheticSeries,
  scenarios,
};

// Messages the webview posts before start() (its "ready") wait here.
const early: unknown[] = [];

(window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage(message: unknown) {
    // Structured clone, as the real channel does: the controller never sees webview objects.
    const copy = structuredClone(message);
    harness.fromWebview.push(copy as WebviewToHost);
    if (harness.controller) void harness.controller.receive(copy);
    else early.push(copy);
  },
  setState(state: unknown) {
    harness.state = structuredClone(state);
  },
  getState() {
    return harness.state;
  },
});
(window as unknown as { __harness: Harness }).__harness = harness;
