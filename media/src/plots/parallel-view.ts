/**
 * Parallel coordinates on one canvas: a polyline per run across the axes (varying parameters,
 * then chosen final metrics). Dragging along an axis brushes a range; a click on an axis
 * without a drag clears its brush. The runs the brushes keep go to the panel's run filter
 * (every chart and the table follow); runs another filter hides are drawn faint.
 *
 * A brush must follow the pointer within a frame at 1,000 runs, so: pointer moves are applied
 * once per animation frame (the last position wins), and the plot is two stacked canvases.
 * The lower one holds every run, faint; it is drawn again only when the data, the width or the
 * theme change. The upper one, redrawn on a brush, holds the shown runs in colour and the axes:
 * a brush that keeps 300 runs strokes 300 polylines, not 1,000.
 */
import type { Axis, Brushes, ParallelData } from "../logic/parallel";
import { axisTicks, brushedRuns } from "../logic/parallel";
import { LatestPerFrame } from "../logic/latest-per-frame";
import { el } from "../ui/dom";
import { PlotCanvas, tickLabel } from "./canvas";

export interface ParallelContext {
  /** Whether a run is shown everywhere (passes every filter and is not hidden). */
  isShown(runId: number): boolean;
  color(runId: number): string;
  theme(): { foreground: string; grid: string; font: string };
  /** The brushes changed: the runs they keep, or null when no brush is left. */
  onBrush(kept: number[] | null): void;
}

const HEIGHT = 280;
const PAD = { left: 48, right: 64, top: 34, bottom: 14 };
/** How close (CSS px) to an axis a press starts a brush. */
const GRAB = 14;

export class ParallelView {
  readonly root: HTMLElement;
  private readonly plot = new PlotCanvas("Parallel coordinates of the runs", HEIGHT);
  /** Every run, faint, under the plot (see the header). */
  private readonly faint = new PlotCanvas("", HEIGHT);
  private faintKey = "";
  private dataVersion = 0;
  private data: ParallelData | undefined;
  /** Brushes by axis id (axes come and go as metrics are chosen), positions 0..1. */
  private readonly brushes = new Map<string, [number, number]>();
  private drag: { axis: number; from: number; moved: boolean } | undefined;
  /** Pointer moves of a drag, applied once per frame. */
  private readonly moves = new LatestPerFrame<{ axis: number; range: [number, number] }>((m) =>
    this.brush(m.axis, m.range),
  );
  private width = 600;
  /** For tests and the benchmark. */
  readonly stats = { drawMs: 0, brushMs: 0, drawnRuns: 0, keptRuns: 0, brushes: 0, faintDraws: 0 };

  constructor(private readonly ctx: ParallelContext) {
    // The faint layer sits outside `.parallel`: `.parallel canvas` (the checks in the real
    // editor, the benchmark) is the plot, the one canvas that takes the pointer.
    const under = this.faint.canvas;
    under.className = "parallel-faint";
    under.removeAttribute("role");
    under.removeAttribute("aria-label");
    under.setAttribute("aria-hidden", "true");
    this.root = el("div", { class: "parallel-stack" }, under, el("div", { class: "parallel" }, this.plot.canvas));
    const c = this.plot.canvas;
    c.addEventListener("pointerdown", (e) => this.onDown(e));
    c.addEventListener("pointermove", (e) => this.onMove(e));
    c.addEventListener("pointerup", (e) => this.onUp(e));
    c.addEventListener("pointercancel", () => {
      this.moves.flush();
      this.drag = undefined;
    });
  }

  get canvas(): HTMLCanvasElement {
    return this.plot.canvas;
  }

  /** The width of the last draw (CSS pixels). */
  get drawnWidth(): number {
    return this.width;
  }

  setData(data: ParallelData): void {
    this.data = data;
    this.dataVersion++;
    // Brushes of axes that are gone no longer filter.
    const ids = new Set(data.axes.map((a) => a.id));
    let dropped = false;
    for (const id of [...this.brushes.keys()])
      if (!ids.has(id)) {
        this.brushes.delete(id);
        dropped = true;
      }
    if (dropped) this.emitBrush();
  }

  /** Brushes axis `axis` (index) to positions [lo, hi], or clears it with null (tests, keyboard). */
  brush(axis: number, range: [number, number] | null): void {
    const a = this.data?.axes[axis];
    if (!a) return;
    const t0 = performance.now();
    this.stats.brushes++;
    if (range)
      this.brushes.set(a.id, [Math.max(0, Math.min(range[0], range[1])), Math.min(1, Math.max(range[0], range[1]))]);
    else this.brushes.delete(a.id);
    this.emitBrush();
    this.draw(this.width);
    this.stats.brushMs = performance.now() - t0;
  }

  clearBrushes(): void {
    if (this.brushes.size === 0) return;
    this.brushes.clear();
    this.emitBrush();
    this.draw(this.width);
  }

  get brushCount(): number {
    return this.brushes.size;
  }

  private byIndex(): Brushes {
    const out = new Map<number, [number, number]>();
    this.data?.axes.forEach((a, i) => {
      const b = this.brushes.get(a.id);
      if (b) out.set(i, b);
    });
    return out;
  }

  private emitBrush(): void {
    const kept = this.data ? brushedRuns(this.data, this.byIndex()) : null;
    this.stats.keptRuns = kept ? kept.length : (this.data?.runIds.length ?? 0);
    this.ctx.onBrush(kept);
  }

  private axisX(i: number, n: number): number {
    const w = this.width - PAD.left - PAD.right;
    return n <= 1 ? PAD.left + w / 2 : PAD.left + (i * w) / (n - 1);
  }

  private y(p: number): number {
    return PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom);
  }

  private pos(y: number): number {
    return Math.max(0, Math.min(1, 1 - (y - PAD.top) / (HEIGHT - PAD.top - PAD.bottom)));
  }

  draw(width: number): void {
    const t0 = performance.now();
    this.width = Math.max(200, Math.floor(width));
    const g = this.plot.context(this.width);
    const data = this.data;
    const theme = this.ctx.theme();
    g.font = theme.font;
    const empty = !data || data.axes.length === 0 || data.runIds.length === 0;
    const faintKey = empty ? "" : `${this.width}|${this.dataVersion}|${theme.grid}`;
    if (faintKey !== this.faintKey) {
      this.faintKey = faintKey;
      this.drawFaint();
    }
    if (!data || empty) {
      g.fillStyle = theme.foreground;
      g.fillText(
        data?.runIds.length ? "No parameter varies and no metric is chosen." : "No runs.",
        PAD.left,
        HEIGHT / 2,
      );
      this.stats.drawnRuns = 0;
      this.describe(0);
      this.stats.drawMs = performance.now() - t0;
      return;
    }
    const n = data.axes.length;
    const xs = data.axes.map((_, i) => this.axisX(i, n));
    // Shown runs batched by colour (one path per colour): a thousand runs cost a handful of
    // strokes, not a thousand. The others are only on the faint layer.
    const byColor = new Map<string, Path2D>();
    let shown = 0;
    for (let r = 0; r < data.runIds.length; r++) {
      const id = data.runIds[r];
      if (!this.ctx.isShown(id)) continue;
      const c = this.ctx.color(id);
      this.trace(byColor.get(c) ?? byColor.set(c, new Path2D()).get(c)!, r, xs);
      shown++;
    }
    g.lineWidth = 1;
    g.globalAlpha = data.runIds.length > 200 ? 0.45 : 0.8;
    for (const [c, path] of byColor) {
      g.strokeStyle = c;
      g.stroke(path);
    }
    g.globalAlpha = 1;
    data.axes.forEach((axis, i) => this.drawAxis(g, axis, xs[i], theme));
    this.stats.drawnRuns = shown;
    this.describe(shown);
    this.stats.drawMs = performance.now() - t0;
  }

  /** Run `r`'s polyline into `path`; a missing value breaks the line. */
  private trace(path: Path2D, r: number, xs: number[]): void {
    const data = this.data!;
    const n = data.axes.length;
    let pen = false;
    for (let a = 0; a < n; a++) {
      const p = data.positions[r * n + a];
      if (p !== p) {
        pen = false;
        continue;
      }
      const y = this.y(p);
      if (pen) path.lineTo(xs[a], y);
      else path.moveTo(xs[a], y);
      pen = true;
    }
  }

  /** The lower layer: every run, faint (cleared when there is nothing to draw). */
  private drawFaint(): void {
    const g = this.faint.context(this.width);
    const data = this.data;
    if (!data || data.axes.length === 0 || data.runIds.length === 0) return;
    this.stats.faintDraws++;
    const n = data.axes.length;
    const xs = data.axes.map((_, i) => this.axisX(i, n));
    const path = new Path2D();
    for (let r = 0; r < data.runIds.length; r++) this.trace(path, r, xs);
    g.lineWidth = 1;
    g.globalAlpha = 0.25;
    g.strokeStyle = this.ctx.theme().grid;
    g.stroke(path);
  }

  private drawAxis(
    g: CanvasRenderingContext2D,
    axis: Axis,
    x: number,
    theme: { foreground: string; grid: string },
  ): void {
    g.strokeStyle = theme.foreground;
    g.globalAlpha = 0.6;
    g.beginPath();
    g.moveTo(x, this.y(1));
    g.lineTo(x, this.y(0));
    g.stroke();
    g.globalAlpha = 1;
    const b = this.brushes.get(axis.id);
    if (b) {
      g.fillStyle = theme.foreground;
      g.globalAlpha = 0.22;
      g.fillRect(x - 7, this.y(b[1]), 14, this.y(b[0]) - this.y(b[1]));
      g.globalAlpha = 1;
      g.strokeRect(x - 7, this.y(b[1]), 14, this.y(b[0]) - this.y(b[1]));
    }
    g.fillStyle = theme.foreground;
    g.textAlign = "center";
    g.textBaseline = "bottom";
    const name = axis.label.length > 24 ? `${axis.label.slice(0, 23)}…` : axis.label;
    g.fillText(name, x, PAD.top - 16);
    g.fillText(axis.scale === "log" ? "log" : "", x, PAD.top - 4);
    g.textAlign = "left";
    g.textBaseline = "middle";
    for (const t of axisTicks(axis, tickLabel)) {
      const y = this.y(t.p);
      g.fillRect(x - 3, y, 6, 1);
      g.fillText(t.label.length > 10 ? `${t.label.slice(0, 9)}…` : t.label, x + 5, y);
    }
  }

  /** What is drawn, on data attributes (checks in the real editor read these). */
  private describe(shown: number): void {
    const c = this.plot.canvas;
    const total = String(this.data?.runIds.length ?? 0);
    if (c.dataset.runs !== total) c.dataset.runs = total;
    if (c.dataset.shownRuns !== String(shown)) c.dataset.shownRuns = String(shown);
    const axes = this.data?.axes.map((a) => a.id).join(",") ?? "";
    if (c.dataset.axes !== axes) c.dataset.axes = axes;
    const brushed = [...this.brushes.keys()].join(",");
    if (c.dataset.brushed !== brushed) c.dataset.brushed = brushed;
  }

  private hit(e: PointerEvent): number {
    const n = this.data?.axes.length ?? 0;
    const rect = this.plot.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    for (let i = 0; i < n; i++) if (Math.abs(x - this.axisX(i, n)) <= GRAB) return i;
    return -1;
  }

  private localY(e: PointerEvent): number {
    return e.clientY - this.plot.canvas.getBoundingClientRect().top;
  }

  private onDown(e: PointerEvent): void {
    const axis = this.hit(e);
    if (axis < 0) return;
    this.drag = { axis, from: this.pos(this.localY(e)), moved: false };
    try {
      this.plot.canvas.setPointerCapture?.(e.pointerId);
    } catch {
      // A pointer the browser does not track (a synthetic event): the drag works without capture.
    }
    e.preventDefault();
  }

  private onMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) {
      this.plot.canvas.style.cursor = this.hit(e) >= 0 ? "ns-resize" : "";
      return;
    }
    const p = this.pos(this.localY(e));
    if (!d.moved && Math.abs(p - d.from) * (HEIGHT - PAD.top - PAD.bottom) < 3) return;
    d.moved = true;
    this.moves.push({ axis: d.axis, range: [d.from, p] });
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = undefined;
    if (!d) return;
    this.moves.cancel(); // the release position below is the last one
    if (!d.moved) this.brush(d.axis, null);
    else this.brush(d.axis, [d.from, this.pos(this.localY(e))]);
  }
}
