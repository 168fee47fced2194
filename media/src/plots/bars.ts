/**
 * Run-level metrics (one value per run, e.g. test_acc) as bars: a bar per run in its colour,
 * labelled with the run and the value. A one-point line chart shows nothing readable; bars
 * compare the runs at a glance. A run with several run-level values shows its last one.
 */
import { el } from "../ui/dom";
import { PlotCanvas, tickLabel } from "./canvas";

export interface Bar {
  runId: number;
  label: string;
  color: string;
  value: number;
  /** How many values the run logged for this key (the last is drawn). */
  count: number;
}

const HEIGHT = 260;
const PAD = { left: 56, right: 12, top: 18, bottom: 46 };

export class RunBars {
  readonly root: HTMLElement;
  private readonly plot = new PlotCanvas("Bars: one value per run", HEIGHT);
  drawnBars = 0;

  constructor(label: string) {
    this.plot.canvas.setAttribute("aria-label", `${label}: one bar per run`);
    this.root = el("div", { class: "bars" }, this.plot.canvas);
  }

  get canvas(): HTMLCanvasElement {
    return this.plot.canvas;
  }

  /** Draws the bars; returns how many (non-finite values are listed by the chart, not drawn). */
  draw(bars: Bar[], width: number, logY: boolean, theme: { foreground: string; grid: string; font: string }): number {
    const g = this.plot.context(width);
    const w = this.plot.width;
    g.font = theme.font;
    const finite = bars.filter((b) => Number.isFinite(b.value) && (!logY || b.value > 0));
    this.drawnBars = finite.length;
    this.canvas.dataset.bars = String(finite.length);
    if (finite.length === 0) return 0;
    let lo = Math.min(...finite.map((b) => b.value));
    let hi = Math.max(...finite.map((b) => b.value));
    if (logY) {
      lo = Math.log10(lo);
      hi = Math.log10(hi);
      if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
    } else {
      // Bars start at zero unless every value is on one side far from it.
      lo = Math.min(0, lo);
      hi = Math.max(0, hi);
      if (hi === lo) hi = lo + 1;
    }
    const py = (v: number) =>
      PAD.top + (1 - ((logY ? Math.log10(v) : v) - lo) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);
    const base = logY ? HEIGHT - PAD.bottom : py(0);
    g.strokeStyle = theme.grid;
    g.fillStyle = theme.foreground;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const t = lo + ((hi - lo) * i) / 4;
      const v = logY ? Math.pow(10, t) : t;
      const y = py(v);
      g.beginPath();
      g.moveTo(PAD.left, y);
      g.lineTo(w - PAD.right, y);
      g.stroke();
      g.fillText(tickLabel(v), PAD.left - 4, y);
    }
    const slot = (w - PAD.left - PAD.right) / finite.length;
    const bw = Math.max(1, Math.min(48, slot * 0.7));
    const labels = slot >= 28;
    finite.forEach((b, i) => {
      const cx = PAD.left + slot * (i + 0.5);
      const y = py(b.value);
      g.fillStyle = b.color;
      g.fillRect(cx - bw / 2, Math.min(y, base), bw, Math.max(1, Math.abs(base - y)));
      if (!labels) return;
      g.fillStyle = theme.foreground;
      g.textAlign = "center";
      g.textBaseline = "bottom";
      g.fillText(tickLabel(b.value), cx, Math.min(y, base) - 2);
      g.save();
      g.translate(cx, HEIGHT - PAD.bottom + 4);
      g.rotate(-Math.PI / 6);
      g.textAlign = "right";
      g.textBaseline = "top";
      g.fillText(b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label, 0, 0);
      g.restore();
    });
    return finite.length;
  }
}
