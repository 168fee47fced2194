/**
 * One parameter against one final metric, a dot per run, on a canvas. Each axis turns
 * logarithmic when its values are positive and span two decades or more (a learning rate);
 * a parameter that is not numeric is laid out by category. Runs another view filters out are
 * drawn faint.
 */
import type { Axis } from "../logic/parallel";
import { axisPosition, axisTicks } from "../logic/parallel";
import { el } from "../ui/dom";
import { PlotCanvas, tickLabel } from "./canvas";

export interface ScatterData {
  x: Axis;
  y: Axis;
  runIds: number[];
  /** Axis values per run (category axes: the index), NaN when missing. */
  xs: Float64Array;
  ys: Float64Array;
}

export interface ScatterContext {
  isShown(runId: number): boolean;
  color(runId: number): string;
  theme(): { foreground: string; grid: string; font: string };
}

const HEIGHT = 260;
const PAD = { left: 56, right: 16, top: 12, bottom: 40 };

export class ScatterView {
  readonly root: HTMLElement;
  private readonly plot = new PlotCanvas("Scatter of a parameter against a metric", HEIGHT);
  private data: ScatterData | undefined;
  readonly stats = { drawMs: 0, drawnPoints: 0 };

  constructor(private readonly ctx: ScatterContext) {
    this.root = el("div", { class: "scatter" }, this.plot.canvas);
  }

  get canvas(): HTMLCanvasElement {
    return this.plot.canvas;
  }

  setData(data: ScatterData | undefined): void {
    this.data = data;
  }

  draw(width: number): void {
    const t0 = performance.now();
    const g = this.plot.context(width);
    const w = this.plot.width;
    const theme = this.ctx.theme();
    g.font = theme.font;
    g.fillStyle = theme.foreground;
    const d = this.data;
    let drawn = 0;
    if (!d) {
      g.fillText("Choose a parameter and a metric.", PAD.left, HEIGHT / 2);
    } else {
      const px = (p: number) => PAD.left + p * (w - PAD.left - PAD.right);
      const py = (p: number) => PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom);
      // Grid and ticks.
      g.strokeStyle = theme.grid;
      g.lineWidth = 1;
      g.textAlign = "center";
      g.textBaseline = "top";
      for (const t of axisTicks(d.x, tickLabel)) {
        const x = px(t.p);
        g.beginPath();
        g.moveTo(x, py(0));
        g.lineTo(x, py(1));
        g.stroke();
        g.fillText(t.label, x, py(0) + 4);
      }
      g.textAlign = "right";
      g.textBaseline = "middle";
      for (const t of axisTicks(d.y, tickLabel)) {
        const y = py(t.p);
        g.beginPath();
        g.moveTo(px(0), y);
        g.lineTo(px(1), y);
        g.stroke();
        g.fillText(t.label, px(0) - 4, y);
      }
      g.textAlign = "center";
      g.textBaseline = "bottom";
      g.fillText(`${d.x.label}${d.x.scale === "log" ? " (log)" : ""}`, (px(0) + px(1)) / 2, HEIGHT - 2);
      g.save();
      g.translate(12, (py(0) + py(1)) / 2);
      g.rotate(-Math.PI / 2);
      g.textBaseline = "middle";
      g.fillText(`${d.y.label}${d.y.scale === "log" ? " (log)" : ""}`, 0, 0);
      g.restore();
      // Faint runs under the shown ones.
      for (const pass of [false, true]) {
        for (let i = 0; i < d.runIds.length; i++) {
          const id = d.runIds[i];
          if (this.ctx.isShown(id) !== pass) continue;
          const a = axisPosition(d.x, d.xs[i]);
          const b = axisPosition(d.y, d.ys[i]);
          if (a !== a || b !== b) continue;
          g.globalAlpha = pass ? 0.9 : 0.2;
          g.fillStyle = pass ? this.ctx.color(id) : theme.grid;
          g.beginPath();
          g.arc(px(a), py(b), pass ? 3.5 : 2.5, 0, 2 * Math.PI);
          g.fill();
          if (pass) drawn++;
        }
      }
      g.globalAlpha = 1;
    }
    this.stats.drawnPoints = drawn;
    const c = this.plot.canvas;
    if (c.dataset.points !== String(drawn)) c.dataset.points = String(drawn);
    const scales = d ? `${d.x.scale},${d.y.scale}` : "";
    if (c.dataset.scales !== scales) c.dataset.scales = scales;
    this.stats.drawMs = performance.now() - t0;
  }
}
