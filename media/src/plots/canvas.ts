/**
 * A canvas sized to its box at the device pixel ratio, for the compare plots (parallel
 * coordinates, scatter, run-level bars): one element however many runs, no DOM per run.
 */
import { el } from "../ui/dom";

export class PlotCanvas {
  readonly canvas: HTMLCanvasElement;
  width = 0;
  height = 0;

  constructor(
    readonly label: string,
    private readonly cssHeight: number,
  ) {
    this.canvas = el("canvas", { role: "img", "aria-label": label });
  }

  /** Sizes the backing store to `width` CSS pixels and returns a context scaled to CSS pixels. */
  context(width: number): CanvasRenderingContext2D {
    const dpr = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
    const w = Math.max(100, Math.floor(width));
    if (this.width !== w || this.canvas.height !== Math.round(this.cssHeight * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(this.cssHeight * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${this.cssHeight}px`;
    }
    this.width = w;
    this.height = this.cssHeight;
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, this.cssHeight);
    return ctx;
  }
}

/** Short numbers for axis labels: 3 significant digits, exponent form for very small or big ones. */
export function tickLabel(v: number): string {
  if (!Number.isFinite(v)) return "";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(1).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}
