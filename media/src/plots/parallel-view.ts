/**
 * Parallel coordinates on one canvas: a polyline per run across the axes (varying parameters,
 * then chosen final metrics). Dragging along an axis brushes a range; a click on an axis
 * without a drag clears its brush. The runs the brushes keep go to the panel's run filter
 * (every chart and the table follow); runs another filter hides are drawn faint.
 */
import type { Axis, Brushes, ParallelData } from "../logic/parallel";
import { axisTicks, brushedRuns } from "../logic/parallel";
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
  private data: ParallelData | undefined;
  /** Brushes by axis id (axes come and go as metrics are chosen), positions 0..1. */
  private readonly brushes = new Map<string, [number, number]>();
  private drag: { axis: number; from: number; moved: boolean } | undefined;
  private width = 600;
  /** For tests and the benchmark. */
  readonly stats = { drawMs: 0, brushMs: 0, drawnRuns: 0, keptRuns: 0 };

  constructor(private readonly ctx: ParallelContext) {
    this.root = el("div", { class: "parallel" }, this.plot.canvas);
    const c = this.plot.canvas;
    c.addEventListener("pointerdown", (e) => this.onDown(e));
    c.addEventListener("pointermove", (e) => this.onMove(e));
    c.addEventListener("pointerup", (e) => this.onUp(e));
    c.addEventListener("pointercancel", () => (this.drag = undefined));
  }

  get canvas(): HTMLCanvasElement {
    return this.plot.canvas;
  }

  setData(data: ParallelData): void {
    this.data = data;
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
    if (!data || data.axes.length === 0 || data.runIds.length === 0) {
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
    // Faint runs first (one path), then shown runs batched by colour (one path per colour):
    // a thousand runs cost a handful of strokes, not a thousand.
    const faint = new Path2D();
    const byColor = new Map<string, Path2D>();
    let shown = 0;
    for (let r = 0; r < data.runIds.length; r++) {
      const id = data.runIds[r];
      const on = this.ctx.isShown(id);
      let path: Path2D;
      if (on) {
        const c = this.ctx.color(id);
        path = byColor.get(c) ?? byColor.set(c, new Path2D()).get(c)!;
        shown++;
      } else path = faint;
      let pen = false;
      for (let a = 0; a < n; a++) {
        const p = data.positions[r * n + a];
        if (p !== p) {
          pen = false; // a missing value breaks the line
          continue;
        }
        const y = this.y(p);
        if (pen) path.lineTo(xs[a], y);
        else path.moveTo(xs[a], y);
        pen = true;
      }
    }
    g.lineWidth = 1;
    g.globalAlpha = 0.25;
    g.strokeStyle = theme.grid;
    g.stroke(faint);
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
    this.plot.canvas.setPointerCapture?.(e.pointerId);
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
    this.brush(d.axis, [d.from, p]);
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = undefined;
    if (!d) return;
    if (!d.moved) this.brush(d.axis, null);
    else this.brush(d.axis, [d.from, this.pos(this.localY(e))]);
  }
}
