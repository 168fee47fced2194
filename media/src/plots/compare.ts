/**
 * "Compare runs": parallel coordinates (every parameter that varies, and the final metrics the
 * user picks, each as its last or best value, lower or higher being better) and a scatter of
 * one parameter against one metric. Brushing the parallel coordinates filters the runs of the
 * whole panel through the run filter; both plots redraw on the next animation frame after the
 * runs, their data or the filter change.
 */
import type { RunSummary } from "@expman/runtime/contracts";
import type { CompareSettings } from "../../../client/src/webview/contract";
import {
  buildParallel,
  defaultDirection,
  metricKeys,
  varyingParams,
  type Axis,
  type MetricChoice,
} from "../logic/parallel";
import { el } from "../ui/dom";
import { ParallelView } from "./parallel-view";
import { ScatterView } from "./scatter-view";

export interface CompareContext {
  runs(): readonly RunSummary[];
  isShown(runId: number): boolean;
  color(runId: number): string;
  theme(): { foreground: string; grid: string; font: string };
  /** A run's value of a chosen metric: the last value, or the best of its series. NaN if none. */
  metricValue(run: RunSummary, choice: MetricChoice): number;
  /** Runs the brushes keep (null: no brush). */
  onBrush(kept: number[] | null): void;
  /** The choices as saved with the panel's settings (kept across a reopen). */
  settings(): CompareSettings;
  change(next: CompareSettings): void;
}

/** Metric axes chosen when the panel opens: validation and test metrics first. */
const DEFAULT_METRICS = 2;

export class ComparePanel {
  readonly root: HTMLDetailsElement;
  readonly parallel: ParallelView;
  readonly scatter: ScatterView;
  private readonly metricsBox: HTMLElement;
  private readonly scatterX: HTMLSelectElement;
  private readonly scatterY: HTMLSelectElement;
  private readonly clear: HTMLButtonElement;
  /** The metric axes offered before the user chooses (val/test metrics first). */
  private defaults: MetricChoice[] | undefined;
  private keys: string[] = [];
  private params: string[] = [];
  private frame = 0;
  private rebuild = true;
  /** The parallel coordinates drew themselves for the latest brush: the next frame skips them. */
  private parallelFresh = false;

  constructor(private readonly ctx: CompareContext) {
    this.parallel = new ParallelView({
      isShown: (id) => ctx.isShown(id),
      color: (id) => ctx.color(id),
      theme: () => ctx.theme(),
      onBrush: (kept) => {
        this.clear.disabled = kept === null;
        ctx.onBrush(kept); // the panel's listeners call redraw() for the scatter in here
        this.parallelFresh = true; // the brush redraws the plot itself, right after this
      },
    });
    this.scatter = new ScatterView({
      isShown: (id) => ctx.isShown(id),
      color: (id) => ctx.color(id),
      theme: () => ctx.theme(),
    });
    this.metricsBox = el("div", { class: "compare-metrics", role: "group", "aria-label": "Metric axes" });
    this.scatterX = el("select", { id: "scatter-x", "aria-label": "Scatter: parameter on x" });
    this.scatterY = el("select", { id: "scatter-y", "aria-label": "Scatter: metric on y" });
    for (const s of [this.scatterX, this.scatterY])
      s.addEventListener("change", () => {
        this.save({ scatterX: this.scatterX.value, scatterY: this.scatterY.value });
        this.invalidate();
      });
    this.clear = el(
      "button",
      { type: "button", id: "clear-brushes", title: "Remove every brush of the parallel coordinates" },
      "Clear brushes",
    );
    this.clear.disabled = true;
    this.clear.addEventListener("click", () => this.parallel.clearBrushes());
    this.root = el(
      "details",
      { class: "compare" },
      el("summary", {}, "Compare runs: parallel coordinates and scatter"),
      el(
        "p",
        { class: "hint" },
        "Drag along an axis to keep only the runs in that range (everywhere in the panel); click the axis to clear it.",
      ),
      el("details", { class: "axes-choice" }, el("summary", {}, "Metric axes"), this.metricsBox),
      this.parallel.root,
      this.clear,
      el(
        "div",
        { class: "scatter-controls" },
        el("label", {}, "x ", this.scatterX),
        el("label", {}, "y ", this.scatterY),
      ),
      this.scatter.root,
    );
    this.root.addEventListener("toggle", () => this.invalidate());
  }

  /** Runs, their values or the metric choice changed: rebuild the axes and redraw. */
  invalidate(): void {
    this.rebuild = true;
    this.schedule();
  }

  /** Only who is shown changed (a filter, a hidden run): redraw with the same axes. */
  redraw(): void {
    this.parallelFresh = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Draws now (tests and the benchmark call this to time it). */
  render(): void {
    if (!this.root.open) return;
    const width = Math.max(300, this.root.clientWidth - 8);
    let fresh = this.parallelFresh && this.parallel.drawnWidth === Math.max(200, Math.floor(width));
    this.parallelFresh = false;
    if (this.rebuild) {
      this.rebuild = false;
      fresh = false;
      this.build();
    }
    if (!fresh) this.parallel.draw(width);
    this.scatter.draw(width);
  }

  /** The metric axes shown (for tests; the UI sets them through the checkboxes). */
  setMetrics(choices: MetricChoice[]): void {
    this.save({ metrics: choices });
    this.renderMetricChoice();
    this.invalidate();
  }

  get metrics(): readonly MetricChoice[] {
    return this.choices ?? [];
  }

  /** The settings arrived or were restored: show their choices. */
  sync(): void {
    this.renderMetricChoice();
    this.invalidate();
  }

  /** The user's metric axes, or the default ones until they choose. */
  private get choices(): MetricChoice[] | undefined {
    return this.ctx.settings().metrics ?? this.defaults;
  }

  private save(patch: Partial<CompareSettings>): void {
    this.ctx.change({ ...this.ctx.settings(), ...patch });
  }

  private build(): void {
    const runs = this.ctx.runs();
    const keys = metricKeys(runs);
    const params = varyingParams(runs);
    if (!this.defaults && keys.length) {
      const preferred = [...keys.filter((k) => /^(val|test)/i.test(k)), ...keys];
      this.defaults = [...new Set(preferred)]
        .slice(0, DEFAULT_METRICS)
        .map((key) => ({ key, pick: "last", direction: defaultDirection(key) }));
    }
    if (keys.join("\u0000") !== this.keys.join("\u0000")) {
      this.keys = keys;
      this.renderMetricChoice();
    }
    if (params.join("\u0000") !== this.params.join("\u0000") || this.scatterY.options.length !== keys.length) {
      this.params = params;
      fillSelect(this.scatterX, params);
      fillSelect(this.scatterY, keys);
    }
    const saved = this.ctx.settings();
    if (params.includes(saved.scatterX)) this.scatterX.value = saved.scatterX;
    if (keys.includes(saved.scatterY)) this.scatterY.value = saved.scatterY;
    const choices = (this.choices ?? []).filter((c) => keys.includes(c.key));
    const data = buildParallel(runs, params, choices, (r, c) => this.ctx.metricValue(r, c));
    this.parallel.setData(data);
    const xi = params.indexOf(this.scatterX.value);
    const yKey = this.scatterY.value;
    if (xi < 0 || !yKey) {
      this.scatter.setData(undefined);
      return;
    }
    const yChoice = choices.find((c) => c.key === yKey) ?? {
      key: yKey,
      pick: "last",
      direction: defaultDirection(yKey),
    };
    const yData = buildParallel(runs, [], [yChoice], (r, c) => this.ctx.metricValue(r, c));
    const n = data.axes.length;
    const xs = Float64Array.from(runs, (_, r) => data.values[r * n + xi]);
    const ys = Float64Array.from(runs, (_, r) => yData.values[r]);
    const x: Axis = data.axes[xi];
    this.scatter.setData({ x, y: yData.axes[0], runIds: data.runIds, xs, ys });
  }

  private renderMetricChoice(): void {
    const chosen = new Map((this.choices ?? []).map((c) => [c.key, c]));
    const rows = this.keys.map((key) => {
      const c = chosen.get(key);
      const box = el("input", { type: "checkbox", "aria-label": `Axis for ${key}` });
      box.checked = !!c;
      const pick = el(
        "select",
        { "aria-label": `${key}: last or best value` },
        el("option", { value: "last" }, "last"),
        el("option", { value: "best" }, "best"),
      );
      const dir = el(
        "select",
        { "aria-label": `${key}: which is better` },
        el("option", { value: "min" }, "min"),
        el("option", { value: "max" }, "max"),
      );
      pick.value = c?.pick ?? "last";
      dir.value = c?.direction ?? defaultDirection(key);
      const apply = () => {
        const rest = (this.choices ?? []).filter((x) => x.key !== key);
        const next: MetricChoice = {
          key,
          pick: pick.value === "best" ? "best" : "last",
          direction: dir.value === "min" ? "min" : "max",
        };
        this.save({ metrics: box.checked ? [...rest, next] : rest });
        this.invalidate();
      };
      for (const input of [box, pick, dir]) input.addEventListener("change", apply);
      return el("div", { class: "metric-choice" }, el("label", {}, box, ` ${key}`), pick, dir);
    });
    this.metricsBox.replaceChildren(...rows);
  }
}

function fillSelect(select: HTMLSelectElement, values: string[]): void {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => el("option", { value: v }, v)));
  if (values.includes(keep)) select.value = keep;
}
