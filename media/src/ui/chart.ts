/**
 * One chart: a metric key (and scope) with every visible run overlaid, raw series faint under
 * the smoothed one. Wraps a uPlot instance; owns zoom (drag to zoom, double-click or Escape to
 * reset), the hover table, checkpoint markers and what it could not draw.
 */
import uPlot from "uplot";
import type { CheckpointRecord } from "@expman/runtime/contracts";
import type { PanelSettings } from "../../../client/src/webview/contract";
import { alignRuns, type RunPoints } from "../logic/align";
import type { RunGroup } from "../logic/band";
import { bandPlot, type BandPlot } from "../plots/band-plot";
import { RunBars } from "../plots/bars";
import { xColumn, xValue } from "../logic/axes";
import { LiveBuckets, downsampleRange, downsampleRangeFast, lowerBound } from "../logic/downsample";
import { outlierBounds, valueBounds } from "../logic/outliers";
import type { Scope, SeriesData } from "../logic/series-store";
import { formatNumber } from "../logic/table";
import type { RunStyle } from "./theme";
import { el } from "./dom";

export interface ChartRun {
  runId: number;
  label: string;
  style: RunStyle;
  series: SeriesData;
  /** Identifies the line when a run has several in one chart (per-label series); default: the run id. */
  lineId?: string;
  /** Shown in the chart's legend (the label of a per-label series). */
  legend?: string;
  /** Relative-time origin (run start, ms). */
  origin: number;
  checkpoints: CheckpointRecord[];
}

export interface ChartContext {
  settings(): PanelSettings;
  runs(chart: MetricChart): ChartRun[];
  theme(): { foreground: string; grid: string; background: string; font: string };
  /** The user zoomed into [lo, hi] (x units): re-fetch detail for host-downsampled series. */
  onZoom(chart: MetricChart, range: [number, number] | null): void;
  onRevealCheckpoint(c: CheckpointRecord): void;
  onExportPng(chart: MetricChart): void;
  /** Groups to draw as a mean with a band (media/src/plots/band-plot.ts), or undefined. */
  groups?(): readonly RunGroup[] | undefined;
  /** The canvas was drawn (uPlot draws in a microtask after setData). */
  onDrawn?(): void;
}

const HEIGHT = 260;
/** Series longer than this use block summaries when zoomed. */
export const BLOCKS_FROM = 262_144;

export class MetricChart {
  readonly root: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly markers: HTMLElement;
  /** Labels of per-label series and their colours (issue 9); empty for plain metrics. */
  private readonly legendBox: HTMLElement;
  /** What the chart shows, in words, for screen readers (aria-describedby). */
  private readonly summary: HTMLElement;
  private plot: uPlot | undefined;
  private plotSignature = "";
  private zoom: [number, number] | null = null;
  private yBounds: [number, number] | null = null;
  private buckets = new Map<string | number, LiveBuckets>();
  /** Run-level metrics: bars instead of a line chart (created on first use). */
  private bars: RunBars | undefined;
  private grouped: BandPlot | undefined;
  /** For the benchmark: time of the last band aggregation. */
  readonly stats = { bandMs: 0 };
  private shown: { run: ChartRun; xs: Float64Array; smooth: Float64Array }[] = [];
  private markerPositions: { x: number; run: ChartRun; c: CheckpointRecord }[] = [];
  /** Points drawn at the last update (for tests and the status line). */
  drawnPoints = 0;
  visible = true;
  dirty = true;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly scope: Scope,
    private readonly ctx: ChartContext,
  ) {
    this.plotHost = el("div", { class: "plot" });
    this.notice = el("p", { class: "chart-notice", role: "status" });
    this.tooltip = el("div", { class: "tooltip", role: "tooltip", hidden: "" });
    this.markers = el("div", { class: "markers" });
    this.legendBox = el("div", { class: "chart-legend", "aria-label": "Labels" });
    this.summary = el("p", { class: "visually-hidden", id: `summary-${id.replace(/[^\w-]/g, "_")}` });
    const title = el(
      "h3",
      { class: "chart-title", title: `${key} (${scope})` },
      `${key}`,
      el("span", { class: "scope" }, ` ${scope}`),
    );
    const resetButton = el(
      "button",
      {
        class: "icon",
        type: "button",
        title: "Reset zoom (double-click or Escape)",
        "aria-label": `Reset zoom of ${key}`,
      },
      "⤢",
    );
    resetButton.addEventListener("click", () => this.resetZoom());
    const pngButton = el(
      "button",
      { class: "icon", type: "button", title: "Export PNG", "aria-label": `Export ${key} as PNG` },
      "PNG",
    );
    pngButton.addEventListener("click", () => this.ctx.onExportPng(this));
    const wrap = el("div", { class: "plot-wrap" }, this.plotHost, this.markers, this.tooltip);
    this.root = el(
      "section",
      {
        class: "chart",
        tabindex: "0",
        "aria-label": `Chart ${key} (${scope}). Arrow keys pan, + and - zoom, Escape resets.`,
        "data-chart": id,
        "aria-describedby": this.summary.id,
      },
      el("header", {}, title, el("span", { class: "spacer" }), resetButton, pngButton),
      this.legendBox,
      wrap,
      this.notice,
      this.summary,
    );
    this.root.addEventListener("keydown", (e) => this.onKey(e));
    this.plotHost.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
  }

  get zoomed(): [number, number] | null {
    return this.zoom;
  }

  /** The x range currently drawn (for tests and the status line). */
  get xRange(): [number, number] | null {
    const x = this.plot?.scales.x;
    return x && x.min != null && x.max != null ? [x.min, x.max] : null;
  }

  get canvas(): HTMLCanvasElement | undefined {
    return this.plot?.ctx.canvas ?? this.bars?.canvas;
  }

  /** Forces a new uPlot (theme, x mode, log scale or the set of runs changed). */
  invalidate(): void {
    this.plotSignature = "";
    this.dirty = true;
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = null;
    this.ctx.onZoom(this, null);
    this.update();
  }

  setZoom(range: [number, number] | null): void {
    if (range && !(range[1] > range[0])) return;
    this.zoom = range;
    this.ctx.onZoom(this, range);
    this.update();
  }

  /** Set when the layout may have changed (resize, first draw); reading clientWidth forces a layout, so it is cached. */
  needsMeasure = true;
  private measuredWidth = 600;

  private width(): number {
    if (this.needsMeasure && this.root.isConnected) {
      this.measuredWidth = Math.max(200, Math.floor(this.root.clientWidth || 600) - 16);
      this.needsMeasure = false;
    }
    return this.measuredWidth;
  }

  /** Recomputes what to draw from the store and redraws. */
  update(): void {
    this.dirty = false;
    const settings = this.ctx.settings();
    const runs = this.ctx.runs(this);
    const width = this.width();
    if (this.scope === "run") {
      this.updateBars(runs, settings, width);
      return;
    }
    const buckets = Math.max(100, Math.round(width));
    const points: RunPoints[] = [];
    this.shown = [];
    const notes: string[] = [];
    for (const run of runs) {
      const s = run.series;
      if (s.length === 0) {
        notes.push(
          `${run.label}: ${s.fetchState === "pending" ? "loading…" : s.fetchState === "failed" ? "could not be loaded" : "no points yet"}`,
        );
        continue;
      }
      const xs = xColumn(s, settings.xAxis, run.origin);
      const smooth = s.smoothed(settings.smoothing);
      let indices: Int32Array;
      if (this.zoom) {
        // Big held series: block summaries make the cost follow the bucket count.
        indices =
          s.length > BLOCKS_FROM
            ? downsampleRangeFast(xs, s.length, this.zoom[0], this.zoom[1], buckets, s.blocks())
            : downsampleRange(xs, s.values, s.length, this.zoom[0], this.zoom[1], buckets);
      } else {
        const line = run.lineId ?? run.runId;
        let lb = this.buckets.get(line);
        if (!lb) this.buckets.set(line, (lb = new LiveBuckets()));
        indices = lb.update(
          xs,
          s.values,
          s.length,
          buckets,
          `${s.instance}|${s.generation}|${settings.xAxis}|${run.origin}`,
        );
      }
      points.push({ xs, raw: s.values, smooth, indices });
      this.shown.push({ run, xs, smooth });
      const nf = s.nonFinite;
      const bad = [
        nf.nan && `${nf.nan} NaN`,
        nf.posInf && `${nf.posInf} +Infinity`,
        nf.negInf && `${nf.negInf} −Infinity`,
      ].filter(Boolean);
      if (bad.length) notes.push(`${run.label}: ${bad.join(", ")} not drawn`);
      if (s.length === 1) notes.push(`${run.label}: a single point (step ${formatNumber(s.steps[0])})`);
      if (s.downsampled && !this.zoom)
        notes.push(`${run.label}: ${formatNumber(s.totalPoints)} points, reduced for display (zoom for detail)`);
    }
    this.renderLegend();
    const groups = this.ctx.groups?.();
    const grouped = groups
      ? bandPlot(groups, this.shown, points, {
          kind: settings.band,
          buckets,
          zoom: this.zoom,
          showRuns: settings.showGroupRuns,
          logY: settings.logY,
        })
      : undefined;
    this.grouped = grouped;
    if (grouped) this.stats.bandMs = grouped.aggregateMs;
    const data = grouped ? grouped.data : alignRuns(points, settings.logY);
    this.drawnPoints = grouped ? grouped.drawnPoints : points.reduce((n, p) => n + p.indices.length, 0);
    if (settings.logY) {
      let nonPositive = 0;
      for (const p of points) for (let j = 0; j < p.indices.length; j++) if (!(p.raw[p.indices[j]] > 0)) nonPositive++;
      if (nonPositive) notes.push(`log scale: ${nonPositive} drawn points ≤ 0 hidden`);
    }
    this.yBounds = this.computeYBounds(data, settings);
    if (points.length === 0 && runs.length > 0 && notes.length === 0) notes.push("No data for the visible runs");
    if (runs.length === 0) notes.push("No visible run logs this metric");
    const noticeText = notes.join(" · ");
    // Untouched DOM when nothing changed: live redraws should not cost a layout.
    if (this.notice.textContent !== noticeText) this.notice.textContent = noticeText;
    if (this.notice.hidden !== (notes.length === 0)) this.notice.hidden = notes.length === 0;

    // uPlot needs one data column per configured series: the plot is configured for the runs
    // drawn now (a run whose series is still loading, or has no point yet, is left out), and a
    // run joining or leaving rebuilds it. Configuring it for every listed run instead made
    // setData read a missing column and left every chart of a live experiment empty.
    const drawnRuns = this.shown.map((s) => s.run);
    const signature = JSON.stringify([
      settings.xAxis,
      settings.logY,
      drawnRuns.map((r) => [r.lineId ?? r.runId, r.style.color, r.style.dash]),
      grouped?.signature ?? "",
    ]);
    if (!grouped && data.length !== 1 + 2 * drawnRuns.length)
      throw new Error(`internal: ${data.length - 1} data columns for ${drawnRuns.length} runs`);
    if (!this.plot || signature !== this.plotSignature || this.plot.width !== width) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(drawnRuns, settings, width), data as uPlot.AlignedData, this.plotHost);
      this.plotSignature = signature;
    } else {
      this.plot.setData(data as uPlot.AlignedData, true);
    }
    const zoomed = this.zoom ? `${this.zoom[0]},${this.zoom[1]}` : "";
    if (this.root.dataset.zoomed !== zoomed) this.root.dataset.zoomed = zoomed;
    this.describe(data[0], points, settings, grouped?.described);
  }

  /** One entry per label drawn (colour and name); DOM touched only when it changes. */
  private renderLegend(): void {
    const entries = new Map<string, string>();
    for (const { run } of this.shown)
      if (run.legend !== undefined && !entries.has(run.legend)) entries.set(run.legend, run.style.color);
    const sig = JSON.stringify([...entries]);
    if (this.legendBox.dataset.labels === sig) return;
    this.legendBox.dataset.labels = sig;
    this.legendBox.hidden = entries.size === 0;
    this.legendBox.replaceChildren(
      ...[...entries].map(([label, color]) =>
        el("span", { class: "legend-label" }, el("span", { class: "swatch", style: `background:${color}` }), label),
      ),
    );
  }

  /** Run-level metrics: one bar per run (its last value), drawn on a canvas of their own. */
  private updateBars(runs: ChartRun[], settings: PanelSettings, width: number): void {
    if (this.plot) {
      this.plot.destroy();
      this.plot = undefined;
      this.plotSignature = "";
    }
    if (!this.bars) {
      this.bars = new RunBars(this.key);
      this.plotHost.replaceChildren(this.bars.root);
    }
    const notes: string[] = [];
    const bars = [];
    for (const run of runs) {
      const s = run.series;
      if (s.length === 0) {
        notes.push(`${run.label}: ${s.fetchState === "pending" ? "loading…" : "no value yet"}`);
        continue;
      }
      const value = s.values[s.length - 1];
      if (!Number.isFinite(value)) notes.push(`${run.label}: ${value} not drawn`);
      if (s.length > 1) notes.push(`${run.label}: ${s.length} values, the last is shown`);
      bars.push({ runId: run.runId, label: run.label, color: run.style.color, value, count: s.length });
    }
    this.drawnPoints = this.bars.draw(bars, width, settings.logY, this.ctx.theme());
    if (runs.length === 0) notes.push("No visible run logs this metric");
    const noticeText = notes.join(" · ");
    if (this.notice.textContent !== noticeText) this.notice.textContent = noticeText;
    if (this.notice.hidden !== (notes.length === 0)) this.notice.hidden = notes.length === 0;
    const text = [
      `${this.key} (${this.scope}): one bar per run`,
      ...bars.map((b) => `${b.label}: ${formatNumber(b.value)}`),
    ].join("; ");
    if (this.summary.textContent !== text) this.summary.textContent = text;
    this.root.dataset.drawnPoints = String(this.drawnPoints);
    this.ctx.onDrawn?.();
  }

  /**
   * Summarises what is drawn (x range, and per run the points drawn and the last smoothed
   * value) for screen readers; the same figures go on data attributes for checks that cannot
   * reach the app object. DOM writes only when something changed.
   */
  private describe(xs: number[], points: RunPoints[], settings: PanelSettings, groups?: string[]): void {
    const range = this.zoom ?? (xs.length ? [xs[0], xs[xs.length - 1]] : null);
    const x = (v: number) =>
      settings.xAxis === "step"
        ? formatNumber(v)
        : settings.xAxis === "relative"
          ? formatDuration(v)
          : new Date(v).toISOString();
    const runs = points.map((p, i) => {
      const last = p.indices.length ? p.smooth[p.indices[p.indices.length - 1]] : NaN;
      return `${this.shown[i].run.label}: ${p.indices.length} points drawn, last ${settings.smoothing > 0 ? "smoothed " : ""}value ${formatNumber(last)}`;
    });
    const text = [
      `${this.key} (${this.scope})`,
      range ? `${settings.xAxis} ${x(range[0])} to ${x(range[1])}${this.zoom ? " (zoomed)" : ""}` : "nothing drawn",
      `smoothing ${settings.smoothing.toFixed(2)}`,
      ...(groups ?? []),
      ...(groups && !settings.showGroupRuns ? [] : runs),
    ].join("; ");
    if (this.summary.textContent !== text) this.summary.textContent = text;
    const xRange = range ? `${range[0]},${range[1]}` : "";
    if (this.root.dataset.xRange !== xRange) this.root.dataset.xRange = xRange;
    const drawn = String(this.drawnPoints);
    if (this.root.dataset.drawnPoints !== drawn) this.root.dataset.drawnPoints = drawn;
  }

  private computeYBounds(data: (number | null)[][], settings: PanelSettings): [number, number] | null {
    const values: number[] = [];
    for (let c = 1; c < data.length; c++) {
      const col = data[c];
      const zoom = this.zoom;
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (v === null) continue;
        if (zoom) {
          const x = data[0][i] as number;
          if (x < zoom[0] || x > zoom[1]) continue;
        }
        values.push(settings.logY ? Math.log10(v) : v);
      }
    }
    const b = settings.ignoreOutliers ? outlierBounds(values) : valueBounds(values, false);
    if (!b) return null;
    if (!settings.logY) return b;
    // Bounds were computed on log10 values; widen a little so lines do not touch the frame.
    return [Math.pow(10, b[0]), Math.pow(10, b[1])];
  }

  private options(runs: ChartRun[], settings: PanelSettings, width: number): uPlot.Options {
    const theme = this.ctx.theme();
    const series: uPlot.Series[] = [{}];
    const grouped = this.grouped;
    if (grouped) series.push(...grouped.series);
    else
      for (const r of runs) {
        series.push({
          label: `${r.label} (raw)`,
          stroke: r.style.faint,
          width: 1,
          spanGaps: true,
          points: { show: false },
        });
        series.push({ label: r.label, stroke: r.style.color, width: 1.75, dash: r.style.dash, spanGaps: true });
      }
    const axis = (): uPlot.Axis => ({
      stroke: theme.foreground,
      font: theme.font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    });
    const xAxis = axis();
    if (settings.xAxis === "relative") xAxis.values = (_u, splits) => splits.map(formatDuration);
    const yAxis = axis();
    yAxis.size = 60;
    yAxis.values = (_u, splits) => splits.map((v) => (v === null ? "" : formatNumber(v)));
    return {
      width,
      height: HEIGHT,
      pxAlign: false,
      legend: { show: false },
      series,
      bands: grouped?.bands,
      scales: {
        x: {
          time: settings.xAxis === "wall",
          range: (_u, min, max) => {
            if (this.zoom) return [this.zoom[0], this.zoom[1]];
            if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1]; // nothing drawn
            return min === max ? [min - 1, max + 1] : [min, max];
          },
        },
        y: {
          distr: settings.logY ? 3 : 1,
          range: (_u, min, max) => {
            if (this.yBounds) return this.yBounds;
            if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max))
              return settings.logY ? [0.1, 1] : [0, 1];
            if (settings.logY) return [min > 0 ? min : 0.1, max > 0 ? max : 1];
            return min === max ? [min - 1, max + 1] : [min, max];
          },
        },
      },
      axes: [xAxis, yAxis],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        bind: {
          dblclick: () => () => {
            this.resetZoom();
            return null;
          },
        },
      },
      hooks: {
        setSelect: [
          (u) => {
            const { left, width: w } = u.select;
            if (w > 4) this.setZoom([u.posToVal(left, "x"), u.posToVal(left + w, "x")]);
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [(u) => this.showTooltip(u)],
        draw: [
          (u) => {
            this.drawMarkers(u);
            this.ctx.onDrawn?.();
          },
        ],
      },
    };
  }

  private onKey(e: KeyboardEvent): void {
    if (e.target !== this.root) return;
    const u = this.plot;
    if (!u) return;
    const min = u.scales.x.min ?? 0;
    const max = u.scales.x.max ?? 1;
    const span = max - min;
    if (e.key === "Escape" || e.key === "0") this.resetZoom();
    else if (e.key === "+" || e.key === "=") this.setZoom([min + span / 4, max - span / 4]);
    else if (e.key === "-") this.setZoom([min - span / 2, max + span / 2]);
    else if (e.key === "ArrowLeft") this.setZoom([min - span / 5, max - span / 5]);
    else if (e.key === "ArrowRight") this.setZoom([min + span / 5, max + span / 5]);
    else return;
    e.preventDefault();
  }

  /** Hover: every visible run's raw and smoothed value, step and time at the nearest x. */
  private showTooltip(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    if (left < 0 || this.shown.length === 0) {
      this.tooltip.hidden = true;
      return;
    }
    const settings = this.ctx.settings();
    const x = u.posToVal(left, "x");
    const rows: HTMLElement[] = [];
    for (const { run, xs, smooth } of this.shown) {
      const s = run.series;
      let i = lowerBound(xs, s.length, x);
      if (i >= s.length) i = s.length - 1;
      if (i > 0 && x - xs[i - 1] < xs[i] - x) i--;
      const rel = formatDuration((s.times[i] - run.origin) / 1000);
      rows.push(
        el(
          "tr",
          {},
          el("td", {}, el("span", { class: "swatch", style: `background:${run.style.color}` }), run.label),
          el("td", { class: "num" }, formatNumber(smooth[i])),
          el("td", { class: "num" }, formatNumber(s.values[i])),
          el("td", { class: "num" }, formatNumber(s.steps[i])),
          el("td", {}, settings.xAxis === "wall" ? new Date(s.times[i]).toLocaleString() : rel),
        ),
      );
    }
    this.tooltip.replaceChildren(
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", {}, "Run"),
            el("th", {}, "Smoothed"),
            el("th", {}, "Value"),
            el("th", {}, "Step"),
            el("th", {}, settings.xAxis === "wall" ? "Time" : "Relative"),
          ),
        ),
        el("tbody", {}, ...rows),
      ),
    );
    this.tooltip.hidden = false;
    const plotLeft = u.over.offsetLeft;
    const wrapWidth = this.plotHost.clientWidth;
    const tipWidth = this.tooltip.offsetWidth;
    const pos = plotLeft + left + 16;
    this.tooltip.style.left = `${pos + tipWidth > wrapWidth ? Math.max(0, plotLeft + left - tipWidth - 16) : pos}px`;
    this.tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
  }

  /** Checkpoint x position in this chart's x units, or null when it cannot be placed. */
  private checkpointX(
    run: ChartRun,
    xs: Float64Array,
    c: CheckpointRecord,
    mode: PanelSettings["xAxis"],
  ): number | null {
    const s = run.series;
    if (mode !== "step") return xValue(mode, 0, c.time, run.origin);
    if (this.scope === "epoch" && c.epoch !== null) return c.epoch;
    if (s.length === 0) return null;
    // Batch or run scope: the step logged at (or just before) the checkpoint's time.
    let i = lowerBound(s.times, s.length, c.time);
    if (i >= s.length) i = s.length - 1;
    return xs[i];
  }

  private drawMarkers(u: uPlot): void {
    const settings = this.ctx.settings();
    const ctx = u.ctx;
    const top = u.bbox.top;
    const bottom = u.bbox.top + u.bbox.height;
    const min = u.scales.x.min ?? -Infinity;
    const max = u.scales.x.max ?? Infinity;
    const positions: typeof this.markerPositions = [];
    ctx.save();
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    for (const { run, xs } of this.shown) {
      for (const c of run.checkpoints) {
        const x = this.checkpointX(run, xs, c, settings.xAxis);
        if (x === null || x < min || x > max) continue;
        const px = u.valToPos(x, "x", true);
        ctx.strokeStyle = run.style.color;
        ctx.globalAlpha = 0.6;
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.stroke();
        positions.push({ x, run, c });
      }
    }
    ctx.restore();
    this.markerPositions = positions;
    this.placeMarkerButtons(u);
  }

  /** Focusable buttons over the markers: click or Enter reveals the checkpoint in the tree. */
  private placeMarkerButtons(u: uPlot): void {
    // Checkpoints at (nearly) the same x, e.g. the same epoch in several runs, are stacked
    // downwards so each one stays clickable.
    const stack = new Map<number, number>();
    const buttons = this.markerPositions.map(({ x, run, c }) => {
      const left = u.over.offsetLeft + u.valToPos(x, "x");
      const slot = Math.round(left / 8);
      const depth = stack.get(slot) ?? 0;
      stack.set(slot, depth + 1);
      const name = c.path.split(/[\\/]/).pop() ?? c.path;
      const label = `Checkpoint${c.epoch !== null ? ` epoch ${c.epoch}` : ""}${c.final ? " (final)" : ""} of ${run.label}: ${name}`;
      const b = el("button", {
        class: "marker",
        type: "button",
        title: `${label}\nClick to reveal in the Experiments tree`,
        "aria-label": `${label}, reveal in tree`,
        style: `left:${left}px;top:${u.over.offsetTop + depth * 11}px;border-top-color:${run.style.color}`,
      });
      b.addEventListener("click", () => this.ctx.onRevealCheckpoint(c));
      return b;
    });
    this.markers.replaceChildren(...buttons);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.root.remove();
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toFixed(s < 10 ? 2 : 1))}s`;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Math.round(s - m * 60);
  return h > 0 ? `${sign}${h}h${String(m).padStart(2, "0")}m` : `${sign}${m}m${String(s).padStart(2, "0")}s`;
}
