/**
 * Toolbar controls for grouping: group the runs of every chart by trial (repeats) or by the
 * value of one parameter, the band drawn around each group's mean (min–max or ±1 std), and
 * whether the single runs are drawn too.
 */
import type { PanelSettings } from "../../../client/src/webview/contract";
import { el } from "../ui/dom";

export interface GroupControlsContext {
  settings(): PanelSettings;
  change(patch: Partial<PanelSettings>): void;
}

export class GroupControls {
  readonly root: HTMLElement;
  private readonly groupBy: HTMLSelectElement;
  private readonly band: HTMLSelectElement;
  private readonly showRuns: HTMLInputElement;
  private params: string[] = [];

  constructor(private readonly ctx: GroupControlsContext) {
    this.groupBy = el("select", { id: "group-by", "aria-label": "Group runs" });
    this.groupBy.addEventListener("change", () => ctx.change({ groupBy: this.groupBy.value }));
    this.band = el(
      "select",
      { id: "band", "aria-label": "Band around the mean" },
      el("option", { value: "minmax" }, "min–max"),
      el("option", { value: "std" }, "±1 std"),
    );
    this.band.addEventListener("change", () => ctx.change({ band: this.band.value === "std" ? "std" : "minmax" }));
    this.showRuns = el("input", { type: "checkbox", id: "show-group-runs" });
    this.showRuns.addEventListener("change", () => ctx.change({ showGroupRuns: this.showRuns.checked }));
    this.root = el(
      "span",
      { class: "grouping" },
      el("label", { title: "Draw each group of runs as its mean with a band" }, "Group ", this.groupBy),
      el("label", {}, "Band ", this.band),
      el("label", { title: "Also draw every run of a group" }, this.showRuns, " Single runs"),
    );
    this.setParams([]);
  }

  /** The parameters that vary between the runs (each can group them). */
  setParams(params: string[]): void {
    if (params.join("\u0000") === this.params.join("\u0000") && this.groupBy.options.length) return;
    this.params = params;
    this.groupBy.replaceChildren(
      el("option", { value: "none" }, "none"),
      el("option", { value: "trial" }, "trial (repeats)"),
      ...params.map((p) => el("option", { value: `param:${p}` }, p)),
    );
    this.sync();
  }

  sync(): void {
    const s = this.ctx.settings();
    const known = [...this.groupBy.options].some((o) => o.value === s.groupBy);
    if (!known && s.groupBy.startsWith("param:"))
      this.groupBy.append(el("option", { value: s.groupBy }, s.groupBy.slice(6)));
    this.groupBy.value = s.groupBy;
    this.band.value = s.band;
    this.showRuns.checked = s.showGroupRuns;
    const grouped = s.groupBy !== "none";
    this.band.disabled = !grouped;
    this.showRuns.disabled = !grouped;
  }
}
