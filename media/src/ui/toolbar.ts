/**
 * Chart controls: key filter, smoothing slider, x axis, log scale, ignore outliers, export.
 * Native inputs only, so everything is reachable and operable from the keyboard.
 */
import type { PanelSettings, XAxisMode } from "../../../client/src/webview/contract";
import { el } from "./dom";

export interface ToolbarContext {
  settings(): PanelSettings;
  change(patch: Partial<PanelSettings>): void;
  exportData(format: "csv" | "json"): void;
}

export class Toolbar {
  readonly root: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly smoothing: HTMLInputElement;
  private readonly smoothingValue: HTMLOutputElement;
  private readonly xAxis: HTMLSelectElement;
  private readonly logY: HTMLInputElement;
  private readonly outliers: HTMLInputElement;

  constructor(private readonly ctx: ToolbarContext) {
    this.filter = el("input", {
      type: "search",
      id: "filter",
      placeholder: "Filter metrics (text or regex)",
      "aria-label": "Filter metric keys",
    });
    let debounce: ReturnType<typeof setTimeout> | undefined;
    this.filter.addEventListener("input", () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => ctx.change({ filter: this.filter.value }), 120);
    });
    this.smoothing = el("input", {
      type: "range",
      id: "smoothing",
      min: "0",
      max: "0.99",
      step: "0.01",
      "aria-label": "Smoothing",
    });
    this.smoothingValue = el("output", { for: "smoothing" });
    this.smoothing.addEventListener("input", () => {
      this.smoothingValue.textContent = Number(this.smoothing.value).toFixed(2);
      ctx.change({ smoothing: Number(this.smoothing.value) });
    });
    this.xAxis = el(
      "select",
      { id: "x-axis", "aria-label": "X axis" },
      el("option", { value: "step" }, "Step"),
      el("option", { value: "relative" }, "Relative time"),
      el("option", { value: "wall" }, "Wall time"),
    );
    this.xAxis.addEventListener("change", () => ctx.change({ xAxis: this.xAxis.value as XAxisMode }));
    this.logY = el("input", { type: "checkbox", id: "log-y" });
    this.logY.addEventListener("change", () => ctx.change({ logY: this.logY.checked }));
    this.outliers = el("input", { type: "checkbox", id: "outliers" });
    this.outliers.addEventListener("change", () => ctx.change({ ignoreOutliers: this.outliers.checked }));
    const csv = el("button", { type: "button", id: "export-csv", title: "Export the shown series as CSV" }, "CSV");
    csv.addEventListener("click", () => ctx.exportData("csv"));
    const json = el("button", { type: "button", id: "export-json", title: "Export the shown series as JSON" }, "JSON");
    json.addEventListener("click", () => ctx.exportData("json"));
    this.root = el(
      "div",
      { class: "toolbar", role: "toolbar", "aria-label": "Chart settings" },
      this.filter,
      el("label", { class: "slider" }, "Smoothing ", this.smoothing, this.smoothingValue),
      el("label", {}, "X ", this.xAxis),
      el("label", {}, this.logY, " Log y"),
      el("label", { title: "Scale the y axis to the 5th–95th percentile" }, this.outliers, " Ignore outliers"),
      el("span", { class: "export" }, "Export ", csv, json),
    );
    this.sync();
  }

  /** Shows the current settings (after init or a change from elsewhere). */
  sync(): void {
    const s = this.ctx.settings();
    if (document.activeElement !== this.filter) this.filter.value = s.filter;
    this.smoothing.value = String(s.smoothing);
    this.smoothingValue.textContent = s.smoothing.toFixed(2);
    this.xAxis.value = s.xAxis;
    this.logY.checked = s.logY;
    this.outliers.checked = s.ignoreOutliers;
  }
}
