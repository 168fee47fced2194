/**
 * The runs table: one row per run with its colour, params and final metrics; click a header
 * to sort, tick a row to plot it, "only params that differ" to compare quickly.
 */
import type { RunSummary } from "@expman/runtime/contracts";
import type { PanelSettings } from "../../../client/src/webview/contract";
import { formatCell, sortRuns, tableColumns } from "../logic/table";
import { el } from "./dom";
import type { RunStyle } from "./theme";

export interface RunsTableContext {
  settings(): PanelSettings;
  change(patch: Partial<PanelSettings>): void;
  styleOf(runId: number): RunStyle;
}

export class RunsTable {
  readonly root: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly differing: HTMLInputElement;

  constructor(private readonly ctx: RunsTableContext) {
    this.differing = el("input", { type: "checkbox", id: "only-differing" });
    this.differing.addEventListener("change", () => ctx.change({ onlyDifferingParams: this.differing.checked }));
    const all = el("button", { type: "button" }, "Plot all");
    all.addEventListener("click", () => ctx.change({ hiddenRuns: [] }));
    this.table = el("table", { class: "runs-table" });
    this.root = el(
      "div",
      { class: "runs-body" },
      el("div", { class: "table-controls" }, el("label", {}, this.differing, " Only params that differ"), all),
      el("div", { class: "table-scroll" }, this.table),
    );
  }

  render(runs: RunSummary[]): void {
    const s = this.ctx.settings();
    this.differing.checked = s.onlyDifferingParams;
    const columns = tableColumns(runs, s.onlyDifferingParams);
    const sortBy = columns.find((c) => c.id === s.sortColumn);
    const header = el(
      "tr",
      {},
      el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Plot")),
      ...columns.map((c) => {
        const active = c.id === s.sortColumn;
        const b = el(
          "button",
          { type: "button", class: `sort ${c.kind}`, title: `Sort by ${c.label}` },
          c.label,
          active ? (s.sortDescending ? " ▼" : " ▲") : "",
        );
        b.addEventListener("click", () =>
          this.ctx.change({ sortColumn: c.id, sortDescending: active ? !s.sortDescending : false }),
        );
        return el(
          "th",
          { scope: "col", "aria-sort": active ? (s.sortDescending ? "descending" : "ascending") : "none" },
          b,
        );
      }),
    );
    const hidden = new Set(s.hiddenRuns);
    const rows = sortRuns(runs, sortBy, s.sortDescending).map((r) => {
      const style = this.ctx.styleOf(r.id);
      const box = el("input", { type: "checkbox", "aria-label": `Plot ${r.trialName} #${r.repeat}` });
      box.checked = !hidden.has(r.id);
      box.addEventListener("change", () => {
        const next = new Set(this.ctx.settings().hiddenRuns);
        if (box.checked) next.delete(r.id);
        else next.add(r.id);
        this.ctx.change({ hiddenRuns: [...next] });
      });
      const cells = columns.map((c, i) => {
        const text = formatCell(c.get(r));
        if (i === 0)
          return el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${style.color}` }), text);
        return el("td", { class: `${c.kind}${typeof c.get(r) === "number" ? " num" : ""}`, title: text }, text);
      });
      return el("tr", { "data-run": String(r.id), class: r.status.toLowerCase() }, el("td", {}, box), ...cells);
    });
    this.table.replaceChildren(el("thead", {}, header), el("tbody", {}, ...rows));
  }
}
