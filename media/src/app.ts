/**
 * The metrics webview: receives validated host messages, keeps the series store, and lays out
 * the toolbar, the runs table, the legend and one chart per metric key, grouped. Redraws are
 * batched to animation frames and skip charts that are scrolled out of view.
 */
import type { CheckpointRecord, RunSummary, SeriesQuery } from "@expman/runtime/contracts";
import {
  CONTRACT_VERSION,
  DEFAULT_SETTINGS,
  type HostToWebview,
  type PanelRun,
  type PanelSelection,
  type PanelSettings,
  type PersistedState,
  type WebviewToHost,
  type WireSeries,
} from "../../client/src/webview/contract";
import { validateHostMessage } from "../../client/src/webview/validate";
import { groupRuns, parseGroupBy, type RunGroup } from "./logic/band";
import { bestOf, varyingParams, type MetricChoice } from "./logic/parallel";
import { ComparePanel } from "./plots/compare";
import { GroupControls } from "./plots/group-controls";
import { stepRange, xColumn } from "./logic/axes";
import { lowerBound, upperBound } from "./logic/downsample";
import { fileSafe, toCsv, toJson, type ExportSeries } from "./logic/export";
import { RunFilter } from "./logic/run-filter";
import { SeriesData, SeriesStore, chartId, type Scope } from "./logic/series-store";
import { GROUP_ORDER, metricGroup, runLabel } from "./logic/table";
import { BLOCKS_FROM, MetricChart, type ChartRun } from "./ui/chart";
import { el } from "./ui/dom";
import { RunsTable } from "./table/runs-table";
import { chartTheme, runStyle, type RunStyle } from "./ui/theme";
import { Toolbar } from "./ui/toolbar";

export interface HostApi {
  postMessage(message: WebviewToHost): void;
  setState(state: PersistedState): void;
}

/** Series up to this many points are fetched whole; bigger ones reduced by the host. */
export const FULL_FETCH_LIMIT = 200_000;
/** Buckets asked of the host for big series and zoom re-fetches (each gives up to 3 points). */
export const HOST_BUCKETS = 2_000;
/** Runs named in the legend (the runs table lists them all). */
const LEGEND_LIMIT = 100;
/** Queries per requestSeries message. */
const REQUEST_CHUNK = 16;

interface ChartInfo {
  key: string;
  scope: Scope;
  custom: boolean;
}

type Pending = { kind: "main" } | { kind: "detail"; chart: string; range: [number, number] };

export interface RenderStats {
  /** Frames in which at least one chart was recomputed. */
  renders: number;
  /** Time of the last frame's work: recompute start to the last chart's canvas draw. */
  lastFrameMs: number;
  frameStart: number;
  lastDrawAt: number;
  draws: number;
}

export class MetricsApp {
  private settings: PanelSettings = { ...DEFAULT_SETTINGS, hiddenRuns: [] };
  private selection: PanelSelection | undefined;
  private title = "Metrics";
  private runs: PanelRun[] = [];
  private readonly store = new SeriesStore();
  /** Visible and selected runs, shared by the table and every plot (logic/run-filter.ts). */
  readonly runFilter = new RunFilter();
  private readonly details = new Map<string, { range: [number, number]; data: SeriesData }>();
  private readonly checkpoints = new Map<number, CheckpointRecord[]>();
  private readonly charts = new Map<string, MetricChart>();
  private readonly chartInfo = new Map<string, ChartInfo>();
  private readonly pending = new Map<number, Pending[]>();
  private nextRequestId = 1;
  /** The "No metrics logged" notice while it is shown, and the runs the user dismissed it for. */
  private emptyNotice?: HTMLElement;
  private readonly dismissedEmpty = new Set<number>();
  /** Run styles resolved from the theme (getComputedStyle is not free); cleared on theme change. */
  private readonly styles = new Map<number, RunStyle>();
  private frame = 0;
  private readonly toolbar: Toolbar;
  private readonly grouping: GroupControls;
  /** Parallel coordinates and the scatter (media/src/plots). */
  readonly compare: ComparePanel;
  private readonly table: RunsTable;
  private readonly legend: HTMLElement;
  private readonly chartsRoot: HTMLElement;
  private readonly notices: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly observer: IntersectionObserver | undefined;
  readonly stats: RenderStats = { renders: 0, lastFrameMs: 0, frameStart: 0, lastDrawAt: 0, draws: 0 };

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostApi,
  ) {
    this.heading = el("h1", {}, "Metrics");
    this.notices = el("div", { class: "notices", role: "status", "aria-live": "polite" });
    this.toolbar = new Toolbar({
      settings: () => this.settings,
      change: (patch) => this.changeSettings(patch),
      exportData: (format) => this.exportData(format),
    });
    this.table = new RunsTable({
      settings: () => this.settings,
      change: (patch) => this.changeSettings(patch),
      styleOf: (id) => this.styleOf(id),
      runFilter: this.runFilter,
      post: (m) => this.host.postMessage(m),
    });
    this.grouping = new GroupControls({
      settings: () => this.settings,
      change: (patch) => this.changeSettings(patch),
    });
    this.toolbar.root.append(this.grouping.root);
    this.compare = new ComparePanel({
      runs: () => this.runs.map((r) => r.summary),
      isShown: (id) => !this.settings.hiddenRuns.includes(id) && this.runFilter.isVisible(id),
      color: (id) => this.styleOf(id).color,
      theme: chartTheme,
      metricValue: (run, choice) => this.metricValue(run.id, choice, run.finalMetrics),
      onBrush: (kept) => this.onBrush(kept),
      settings: () => this.settings.compare,
      change: (compare) => this.changeSettings({ compare }),
    });
    this.legend = el("div", { class: "legend", role: "group", "aria-label": "Runs shown in the charts" });
    this.chartsRoot = el("div", { class: "charts" });
    root.replaceChildren(
      el("header", { class: "top" }, this.heading, this.notices),
      this.toolbar.root,
      el("details", { class: "runs", open: "" }, el("summary", {}, "Runs"), this.table.root),
      this.compare.root,
      this.legend,
      this.chartsRoot,
    );
    if (typeof IntersectionObserver !== "undefined") {
      this.observer = new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            const chart = this.charts.get((e.target as HTMLElement).dataset.chart ?? "");
            if (!chart) continue;
            chart.visible = e.isIntersecting;
            if (chart.visible && chart.dirty) this.scheduleRender();
          }
        },
        { rootMargin: "200px" },
      );
    }
    if (typeof ResizeObserver !== "undefined") {
      let lastWidth = 0;
      new ResizeObserver(() => {
        const w = this.chartsRoot.clientWidth;
        if (w === lastWidth) return;
        lastWidth = w;
        for (const c of this.charts.values()) {
          c.dirty = true;
          c.needsMeasure = true;
        }
        this.scheduleRender();
      }).observe(this.chartsRoot);
    }
    this.runFilter.subscribe((change) => {
      if (!change.visible) return;
      this.compare.redraw();
      // A brush flips a few runs: only the charts that draw one of them are rebuilt.
      for (const c of this.charts.values()) if (!change.changed || this.drawsAny(c, change.changed)) c.dirty = true;
      this.scheduleRender();
    });
    // A theme switch changes the CSS variables: rebuild the charts with the new colours.
    new MutationObserver(() => {
      this.styles.clear();
      this.renderLegend();
      this.table.render(this.runs.map((r) => r.summary));
      for (const c of this.charts.values()) c.invalidate();
      this.compare.redraw();
      this.scheduleRender();
    }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  }

  /** Every message from the host goes through here; invalid ones are reported, not thrown. */
  receive(raw: unknown): void {
    const checked = validateHostMessage(raw);
    if (!checked.ok) {
      this.notify("warning", `Ignored a message from the extension: ${checked.error}`);
      this.host.postMessage({ type: "webviewError", message: `invalid message: ${checked.error}` });
      return;
    }
    try {
      this.handle(checked.value);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.notify("error", `Could not apply ${checked.value.type}: ${message}`);
      this.host.postMessage({ type: "webviewError", message: `${checked.value.type}: ${message}` });
    }
  }

  private handle(m: HostToWebview): void {
    switch (m.type) {
      case "init":
        this.title = m.title;
        this.selection = m.selection;
        this.settings = { ...m.settings, hiddenRuns: [...m.settings.hiddenRuns] };
        this.heading.textContent = m.title;
        document.title = m.title;
        this.toolbar.sync();
        this.compare.sync();
        this.setRuns(m.runs);
        this.persist(false);
        return;
      case "runs":
        this.setRuns(m.runs);
        return;
      case "series":
        this.onSeries(m.requestId, m.series, m.errors);
        return;
      case "append": {
        const changed = this.store.applyDeltas(m.deltas);
        for (const d of m.deltas) this.ensureChart(d.label !== undefined ? (d.metric ?? d.key) : d.key, d.scope, false);
        for (const id of changed) this.markDirty(id);
        this.compare.invalidate();
        this.prepareZoomWhenIdle();
        return;
      }
      case "checkpoints":
        this.checkpoints.set(m.runId, m.checkpoints);
        for (const c of this.charts.values()) c.dirty = true;
        this.scheduleRender();
        return;
      case "notice":
        this.notify(m.level, m.message);
        return;
      case "selectRuns":
        this.runFilter.select(m.runIds, "tree");
        return;
      case "comparison":
        this.table.showComparison(m);
        return;
    }
  }

  private setRuns(runs: PanelRun[]): void {
    this.runs = runs;
    this.groupCache = undefined;
    this.grouping.setParams(varyingParams(runs.map((r) => r.summary)));
    this.compare.invalidate();
    this.runFilter.setRuns(runs.map((r) => r.summary.id));
    // A metric's per-label series share one chart, named by the metric.
    for (const r of runs)
      for (const k of r.keys) this.ensureChart(k.label !== undefined ? (k.metric ?? k.key) : k.key, k.scope, k.custom);
    this.table.render(runs.map((r) => r.summary));
    this.renderLegend();
    this.fetchMissing();
    this.showEmptyRuns(runs);
    if (runs.length === 0) this.notify("info", "This selection has no runs.");
    // A changed run set or colour rebuilds a chart by itself (see MetricChart.update).
    for (const c of this.charts.values()) c.dirty = true;
    this.scheduleRender();
  }

  /**
   * Fetches every listed series of the visible runs that was never fetched. Live points a
   * series already holds are kept: the fetched data goes under them (SeriesData.replace).
   */
  private fetchMissing(): void {
    const queries: SeriesQuery[] = [];
    for (const r of this.runs) {
      if (this.settings.hiddenRuns.includes(r.summary.id)) continue;
      for (const k of r.keys) {
        const s = this.store.ensure(r.summary.id, k.key, k.scope, k.label, k.metric);
        if (s.fetchState !== "none") continue;
        s.fetchState = "pending";
        const q = this.mainQuery(r.summary.id, k.key, k.scope, k.count);
        queries.push(k.label !== undefined ? { ...q, label: k.label } : q);
      }
    }
    this.request(queries, { kind: "main" });
  }

  private mainQuery(runId: number, key: string, scope: Scope, count: number): SeriesQuery {
    return count > FULL_FETCH_LIMIT ? { runId, key, scope, buckets: HOST_BUCKETS } : { runId, key, scope };
  }

  /** Asks the host for series, in messages of a few queries so charts fill in progressively. */
  private request(queries: SeriesQuery[], why: Pending): void {
    for (let i = 0; i < queries.length; i += REQUEST_CHUNK) {
      const chunk = queries.slice(i, i + REQUEST_CHUNK);
      const requestId = this.nextRequestId++;
      this.pending.set(
        requestId,
        chunk.map(() => why),
      );
      this.host.postMessage({ type: "requestSeries", requestId, queries: chunk });
    }
  }

  private onSeries(requestId: number, series: WireSeries[], errors: { query: SeriesQuery; message: string }[]): void {
    const why = this.pending.get(requestId)?.[0] ?? { kind: "main" };
    this.pending.delete(requestId);
    for (const s of series) {
      const chartKey = s.label !== undefined ? (s.metric ?? s.key) : s.key;
      const id = chartId(s.scope, chartKey);
      if (why.kind === "detail") {
        if (s.label !== undefined) continue; // zoom re-fetches only unlabelled series
        const chart = this.charts.get(why.chart);
        if (!chart || !chart.zoomed || chart.zoomed[0] !== why.range[0] || chart.zoomed[1] !== why.range[1]) continue; // stale
        const data = new SeriesData(s.runId, s.key, s.scope);
        data.replace(s);
        this.details.set(`${why.chart}|${s.runId}`, { range: why.range, data });
      } else {
        this.ensureChart(chartKey, s.scope, false);
        const data = this.store.ensure(s.runId, s.key, s.scope, s.label, s.metric);
        data.replace(s);
        data.fetchState = "done";
      }
      this.markDirty(id);
    }
    if (series.length) this.compare.invalidate();
    for (const e of errors) {
      if (why.kind === "main" && e.query.scope) {
        const data =
          e.query.label !== undefined
            ? this.store.ensure(e.query.runId, e.query.key, e.query.scope, e.query.label)
            : this.store.get(e.query.runId, e.query.scope, e.query.key);
        if (data) data.fetchState = "failed"; // not retried automatically: the notice says why
      }
      this.notify("error", `Could not load ${e.query.key} of run ${e.query.runId}: ${e.message}`);
    }
  }

  private ensureChart(key: string, scope: Scope, custom: boolean): void {
    const id = chartId(scope, key);
    const info = this.chartInfo.get(id);
    if (info) {
      if (custom && !info.custom) {
        info.custom = true;
        this.layoutCharts(); // moves to the custom group
      }
      return;
    }
    this.chartInfo.set(id, { key, scope, custom });
    const chart = new MetricChart(id, key, scope, {
      settings: () => this.settings,
      runs: (c) => this.chartRuns(c),
      theme: chartTheme,
      onZoom: (c, range) => this.onZoom(c, range),
      onRevealCheckpoint: (cp) =>
        this.host.postMessage({ type: "revealCheckpoint", runId: cp.runId, checkpointId: cp.id, path: cp.path }),
      onExportPng: (c) => this.exportPng(c),
      groups: () => this.chartGroups(),
      onDrawn: () => {
        const now = performance.now();
        this.stats.draws++;
        this.stats.lastDrawAt = now;
        this.stats.lastFrameMs = now - this.stats.frameStart;
      },
    });
    // With an observer, a chart draws once it is on (or near) the screen: many keys stay cheap.
    chart.visible = !this.observer;
    this.charts.set(id, chart);
    this.observer?.observe(chart.root);
    this.layoutCharts();
  }

  /** Groups (train/val/test/other/custom), keys sorted, filter applied. */
  private layoutCharts(): void {
    const matcher = keyMatcher(this.settings.filter);
    const groups = new Map<string, MetricChart[]>();
    for (const [id, info] of this.chartInfo) {
      const chart = this.charts.get(id)!;
      if (!matcher(info.key)) {
        chart.root.remove();
        continue;
      }
      const g = metricGroup(info.key, info.custom);
      (groups.get(g) ?? groups.set(g, []).get(g)!).push(chart);
    }
    const sections: HTMLElement[] = [];
    for (const g of GROUP_ORDER) {
      const charts = groups.get(g);
      if (!charts?.length) continue;
      charts.sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }) || a.scope.localeCompare(b.scope));
      sections.push(
        el(
          "section",
          { class: "group", "aria-label": `${g} metrics` },
          el("h2", {}, g),
          el("div", { class: "grid" }, ...charts.map((c) => c.root)),
        ),
      );
    }
    if (sections.length === 0) {
      const msg =
        this.chartInfo.size === 0 ? "No metrics to chart yet." : `No metric key matches “${this.settings.filter}”.`;
      sections.push(el("p", { class: "empty" }, msg));
    }
    this.chartsRoot.replaceChildren(...sections);
    for (const c of this.charts.values()) {
      c.dirty = true;
      c.needsMeasure = true;
    }
    this.scheduleRender();
  }

  private chartRuns(chart: MetricChart): ChartRun[] {
    const out: ChartRun[] = [];
    let labelRun = 0;
    for (const r of this.runs) {
      const id = r.summary.id;
      if (this.settings.hiddenRuns.includes(id) || !this.runFilter.isVisible(id)) continue;
      let series = this.store.get(id, chart.scope, chart.key);
      const labelled = this.store.labelled(id, chart.scope, chart.key);
      if (series) {
        const detail = this.details.get(`${chart.id}|${id}`);
        const zoom = chart.zoomed;
        if (detail && zoom && detail.range[0] <= zoom[0] && detail.range[1] >= zoom[1]) series = detail.data;
        out.push({
          runId: id,
          label: runLabel(r.summary),
          style: this.styleOf(id),
          series,
          origin: r.summary.startTime,
          checkpoints: this.checkpoints.get(id) ?? [],
        });
      }
      if (labelled.length === 0) continue;
      // Per-label series (issue 9): one line per label, coloured by label (the legend), the
      // run told apart by its dash when several runs are shown.
      for (const s of labelled) {
        const index = this.labelIndex(chart, s.label!);
        const style = this.styleOf(index + 1);
        out.push({
          runId: id,
          lineId: `${id}\u0000${s.label}`,
          legend: s.label,
          label: `${runLabel(r.summary)} · ${s.label}`,
          style: { ...style, dash: LABEL_DASHES[labelRun % LABEL_DASHES.length] },
          series: s,
          origin: r.summary.startTime,
          checkpoints: series ? [] : (this.checkpoints.get(id) ?? []),
        });
      }
      labelRun++;
    }
    return out;
  }

  /** Whether a chart has a series of any of these runs (so their visibility changes what it draws). */
  private drawsAny(chart: MetricChart, runIds: readonly number[]): boolean {
    for (const id of runIds)
      if (this.store.get(id, chart.scope, chart.key) || this.store.labelled(id, chart.scope, chart.key).length)
        return true;
    return false;
  }

  /** Colour slot of a label in a chart: labels keep their colour as runs and labels come and go. */
  private readonly labelSlots = new Map<string, Map<string, number>>();
  private labelIndex(chart: MetricChart, label: string): number {
    let slots = this.labelSlots.get(chart.id);
    if (!slots) this.labelSlots.set(chart.id, (slots = new Map()));
    let i = slots.get(label);
    if (i === undefined) slots.set(label, (i = slots.size));
    return i;
  }

  /** Zoom: series the host reduced are re-fetched at the zoomed range (min/max/last again). */
  private onZoom(chart: MetricChart, range: [number, number] | null): void {
    for (const k of [...this.details.keys()]) if (k.startsWith(`${chart.id}|`)) this.details.delete(k);
    if (!range) return;
    const queries: SeriesQuery[] = [];
    for (const r of this.runs) {
      const s = this.store.get(r.summary.id, chart.scope, chart.key);
      if (!s || !s.downsampled || this.settings.hiddenRuns.includes(r.summary.id)) continue;
      const xs = xColumn(s, this.settings.xAxis, r.summary.startTime);
      const steps = stepRange(s, xs, range[0], range[1]);
      if (steps)
        queries.push({
          runId: s.runId,
          key: s.key,
          scope: s.scope,
          minStep: steps[0],
          maxStep: steps[1],
          buckets: HOST_BUCKETS,
        });
    }
    this.request(queries, { kind: "detail", chart: chart.id, range });
  }

  private changeSettings(patch: Partial<PanelSettings>): void {
    const before = this.settings;
    this.settings = { ...this.settings, ...patch };
    if (patch.filter !== undefined && patch.filter !== before.filter) this.layoutCharts();
    if (patch.hiddenRuns) {
      this.fetchMissing(); // runs shown for the first time
      this.renderLegend();
    }
    if (
      patch.onlyDifferingParams !== undefined ||
      patch.sortColumn !== undefined ||
      patch.sortDescending !== undefined ||
      patch.table !== undefined ||
      patch.hiddenRuns
    ) {
      this.table.render(this.runs.map((r) => r.summary));
    }
    if (patch.xAxis !== undefined && patch.xAxis !== before.xAxis) for (const c of this.charts.values()) c.resetZoom();
    if (patch.groupBy !== undefined) this.groupCache = undefined;
    if (patch.hiddenRuns) this.compare.redraw();
    this.grouping.sync();
    for (const c of this.charts.values()) c.dirty = true;
    this.toolbar.sync();
    this.scheduleRender();
    this.persist(true);
  }

  private persist(tellHost: boolean): void {
    if (!this.selection) return;
    this.host.setState({ v: CONTRACT_VERSION, selection: this.selection, settings: this.settings });
    if (tellHost) this.host.postMessage({ type: "state", settings: this.settings });
  }

  private renderLegend(): void {
    // Thousands of buttons would cost more than the table itself: the legend names the first
    // runs and the table has them all.
    const buttons: HTMLElement[] = this.runs.slice(0, LEGEND_LIMIT).map((r) => {
      const id = r.summary.id;
      const style = this.styleOf(id);
      const shown = !this.settings.hiddenRuns.includes(id);
      const swatch = el("span", {
        class: `swatch${style.dash.length ? " dashed" : ""}`,
        style: `background:${style.color};border-color:${style.color}`,
      });
      const b = el(
        "button",
        {
          type: "button",
          class: "legend-item",
          "aria-pressed": String(shown),
          title: `${shown ? "Hide" : "Show"} ${runLabel(r.summary)} (${r.summary.status})`,
        },
        swatch,
        runLabel(r.summary),
      );
      b.addEventListener("click", () => {
        const hidden = new Set(this.settings.hiddenRuns);
        if (hidden.has(id)) hidden.delete(id);
        else hidden.add(id);
        this.changeSettings({ hiddenRuns: [...hidden] });
      });
      return b;
    });
    if (this.runs.length > LEGEND_LIMIT)
      buttons.push(
        el("span", { class: "legend-more" }, `and ${this.runs.length - LEGEND_LIMIT} more runs (see the table)`),
      );
    this.legend.replaceChildren(...buttons);
  }

  /** Groups of the visible runs for the charts' bands, or undefined when not grouping. */
  private groupCache: { setting: string; groups: RunGroup[] } | undefined;
  private chartGroups(): RunGroup[] | undefined {
    const by = parseGroupBy(this.settings.groupBy);
    if (by.kind === "none") return undefined;
    if (this.groupCache?.setting !== this.settings.groupBy)
      this.groupCache = {
        setting: this.settings.groupBy,
        groups: groupRuns(
          this.runs.map((r) => r.summary),
          by,
        ),
      };
    return this.groupCache.groups;
  }

  /** Best values per series, cached until the series changes (1,000 runs redraw often). */
  private readonly bestCache = new WeakMap<SeriesData, { key: string; value: number }>();
  /** A run's value of a compare metric: the best of its series (epoch, else batch, else run scope), or the last. */
  private metricValue(runId: number, choice: MetricChoice, final: Record<string, number>): number {
    if (choice.pick === "best")
      for (const scope of ["epoch", "batch", "run"] as const) {
        const s = this.store.get(runId, scope, choice.key);
        if (!s || s.length === 0) continue;
        const key = `${s.generation}|${s.length}|${choice.direction}`;
        const hit = this.bestCache.get(s);
        if (hit?.key === key) return hit.value;
        const value = bestOf(s.values, s.length, choice.direction);
        this.bestCache.set(s, { key, value });
        return value;
      }
    const v = final?.[choice.key];
    return typeof v === "number" ? v : NaN;
  }

  /** The parallel coordinates' brushes filter the runs of the whole panel (null: no brush). */
  private onBrush(kept: number[] | null): void {
    this.runFilter.setFilter("brush", kept);
  }

  private styleOf(runId: number): RunStyle {
    let style = this.styles.get(runId);
    if (!style) this.styles.set(runId, (style = runStyle(runId)));
    return style;
  }

  private markDirty(id: string): void {
    const c = this.charts.get(id);
    if (c) c.dirty = true;
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow();
    });
  }

  /** Redraws every dirty chart that is on screen (or near it). */
  renderNow(): void {
    this.stats.frameStart = performance.now();
    let drew = false;
    for (const c of this.charts.values()) {
      if (!c.dirty || !c.visible || !c.root.isConnected) continue;
      try {
        c.update();
        drew = true;
      } catch (e) {
        this.notify("error", `Chart ${c.key} failed to draw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (!drew) return;
    this.prepareZoomWhenIdle();
    this.stats.renders++;
    document.body.dataset.renders = String(this.stats.renders);
  }

  /**
   * Work that copies or scans whole series runs in idle slices, one piece per slice, so no
   * frame pays for it: growing the columns of live series before they fill (growStep), the x
   * column of the time axes that follows them, and the block summaries of big series (so the
   * first zoom is fast).
   */
  private idleScheduled = false;
  private prepareZoomWhenIdle(): void {
    if (this.idleScheduled || typeof requestIdleCallback === "undefined") return;
    this.idleScheduled = true;
    requestIdleCallback(
      (deadline) => {
        this.idleScheduled = false;
        let more = false;
        for (const s of this.store.all()) {
          if (!s.growStep()) {
            // Columns big enough now: live points that waited for them are drawn.
            if (s.drainQueued() > 0) this.markDirty(chartId(s.scope, s.chartKey));
            continue;
          }
          if (!s.wantsGrowth && this.settings.xAxis !== "step") {
            const run = this.runs.find((r) => r.summary.id === s.runId);
            if (run) xColumn(s, this.settings.xAxis, run.summary.startTime);
          }
          more = true;
          if (deadline.timeRemaining() < 8) break;
        }
        if (!more) for (const s of this.store.all()) if (s.length > BLOCKS_FROM) s.blocks();
        if (more) this.prepareZoomWhenIdle();
      },
      { timeout: 500 },
    );
  }

  private notify(level: "info" | "warning" | "error", message: string, onDismiss?: () => void): HTMLElement {
    const close = el("button", { type: "button", class: "icon", "aria-label": "Dismiss" }, "×");
    const item = el("p", { class: `notice ${level}` }, el("span", {}, message), close);
    close.addEventListener("click", () => {
      item.remove();
      onDismiss?.();
    });
    this.notices.append(item);
    // Keep the last few.
    while (this.notices.children.length > 5) this.notices.firstElementChild?.remove();
    return item;
  }

  /**
   * Says which finished runs logged no metrics, as the run list stands now: a queued or running
   * run without points yet is what a live experiment looks like (the table says QUEUED or
   * RUNNING), and a run that logs later leaves the list. The notice was once written when the
   * panel opened and kept for good, naming runs whose lines were drawn right below it.
   */
  private showEmptyRuns(runs: PanelRun[]): void {
    const empty = runs.filter(
      (r) =>
        r.keys.length === 0 &&
        r.summary.status !== "QUEUED" &&
        r.summary.status !== "RUNNING" &&
        !this.dismissedEmpty.has(r.summary.id),
    );
    const text = empty.length
      ? `No metrics logged by ${empty
          .slice(0, 10)
          .map((r) => runLabel(r.summary))
          .join(", ")}${empty.length > 10 ? ` and ${empty.length - 10} more runs` : ""}`
      : undefined;
    const shown = this.emptyNotice?.isConnected ? this.emptyNotice : undefined;
    if (shown && shown.firstElementChild?.textContent === text) return;
    shown?.remove();
    this.emptyNotice = text
      ? this.notify("info", text, () => {
          for (const r of empty) this.dismissedEmpty.add(r.summary.id);
        })
      : undefined;
  }

  /** What the visible charts show: visible runs, current x range, every held point. */
  private shownSeries(): ExportSeries[] {
    const out: ExportSeries[] = [];
    const matcher = keyMatcher(this.settings.filter);
    for (const chart of this.charts.values()) {
      if (!matcher(chart.key)) continue;
      for (const run of this.chartRuns(chart)) {
        const s = run.series;
        const xs = xColumn(s, this.settings.xAxis, run.origin);
        const smooth = s.smoothed(this.settings.smoothing);
        const z = chart.zoomed;
        const a = z ? lowerBound(xs, s.length, z[0]) : 0;
        const b = z ? upperBound(xs, s.length, z[1]) : s.length;
        out.push({
          key: chart.key,
          scope: chart.scope,
          runId: run.runId,
          runName: run.label,
          downsampled: s.downsampled,
          totalPoints: s.totalPoints,
          steps: s.steps.subarray(a, b),
          times: s.times.subarray(a, b),
          values: s.values.subarray(a, b),
          smoothed: smooth.subarray(a, b),
        });
      }
    }
    return out;
  }

  exportData(format: "csv" | "json"): void {
    const series = this.shownSeries();
    if (series.length === 0) {
      this.notify("info", "Nothing to export: no visible series.");
      return;
    }
    const content =
      format === "csv"
        ? toCsv(series)
        : toJson(series, { title: this.title, smoothing: this.settings.smoothing, xAxis: this.settings.xAxis });
    this.host.postMessage({ type: "export", format, suggestedName: `${fileSafe(this.title)}.${format}`, content });
  }

  private exportPng(chart: MetricChart): void {
    const canvas = chart.canvas;
    if (!canvas) return;
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext("2d")!;
    ctx.fillStyle = chartTheme().background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    const content = out.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
    this.host.postMessage({ type: "export", format: "png", suggestedName: `${fileSafe(chart.key)}.png`, content });
  }

  /** For tests and the benchmark: chart state by id. */
  chartState(): { id: string; drawnPoints: number; zoomed: [number, number] | null; visible: boolean }[] {
    return [...this.charts.values()].map((c) => ({
      id: c.id,
      drawnPoints: c.drawnPoints,
      zoomed: c.zoomed,
      visible: c.visible && c.root.isConnected,
    }));
  }

  chart(id: string): MetricChart | undefined {
    return this.charts.get(id);
  }
}

/** Dash per run in a per-label chart (colour is the label's). */
const LABEL_DASHES: number[][] = [[], [6, 3], [2, 3], [10, 3, 2, 3]];

/** Filter box: a case-insensitive regular expression, or plain text when it is not one. */
export function keyMatcher(filter: string): (key: string) => boolean {
  const f = filter.trim();
  if (!f) return () => true;
  try {
    const re = new RegExp(f, "i");
    return (k) => re.test(k);
  } catch {
    const lower = f.toLowerCase();
    return (k) => k.toLowerCase().includes(lower);
  }
}

export type { RunSummary };
