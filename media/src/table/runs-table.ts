/**
 * The runs table: one row per run, a column per param, metric (min / max / last / best), note
 * and tags; virtualised rows and columns (grid.ts), sort by any column, a filter expression
 * (logic/filter-expr.ts) with its error shown under the box, columns chosen and pinned in the
 * Columns menu. The rows it keeps and the runs selected in it go through the panel's RunFilter,
 * so the plots follow; selections made in the plots or the Experiments tree come back the same
 * way. Notes and tags are edited by the host (an input box), compare asks the host for the
 * settings that differ.
 */
import type { RunSummary } from "@expman/runtime/contracts";
import {
  METRIC_SUMMARIES,
  type ComparisonMessage,
  type MetricSummary,
  type PanelSettings,
  type TableSettings,
  type WebviewToHost,
} from "../../../client/src/webview/contract";
import type { RunFilter } from "../logic/run-filter";
import { applyFilter, layoutColumns } from "../logic/runs-view";
import {
  formatCell,
  orderByRanks,
  runLabel,
  sortRanks,
  tableColumns,
  type Column,
  type SortRanks,
} from "../logic/table";
import { el } from "../ui/dom";
import type { RunStyle } from "../ui/theme";
import { renderComparison } from "./compare";
import { VirtualGrid, type GridColumn } from "./grid";

export interface RunsTableContext {
  settings(): PanelSettings;
  change(patch: Partial<PanelSettings>): void;
  styleOf(runId: number): RunStyle;
  runFilter: RunFilter;
  post(message: WebviewToHost): void;
}

const WIDTHS: Record<Column["kind"] | "plot", number> = {
  plot: 30,
  run: 170,
  status: 86,
  tags: 120,
  note: 200,
  param: 110,
  metric: 116,
};

const PLOT_COLUMN: GridColumn = { id: "plot", label: "", width: WIDTHS.plot, cls: "plot" };
const FILTER_SOURCE = "table";

export class RunsTable {
  readonly root: HTMLElement;
  readonly grid: VirtualGrid;
  private readonly filterInput: HTMLInputElement;
  private readonly filterError: HTMLElement;
  private readonly count: HTMLElement;
  private readonly differing: HTMLInputElement;
  private readonly chooser: HTMLElement;
  private readonly chooserList: HTMLElement;
  private readonly chooserSearch: HTMLInputElement;
  private readonly compareButton: HTMLButtonElement;
  private readonly noteButton: HTMLButtonElement;
  private readonly tagsButton: HTMLButtonElement;
  private readonly comparison: HTMLElement;
  private runs: RunSummary[] = [];
  private indexById = new Map<number, number>();
  private all: Column[] = [];
  private gridColumns: GridColumn[] = [];
  private byGridId = new Map<string, Column>();
  /** Every run's index in sort order; the rows are its visible ones. */
  private sorted: number[] = [];
  private sortKey = "";
  /** Sort keys of the sorted column, kept while the runs and columns stay (a reversal reuses them). */
  private ranks: { column: Column; ranks: SortRanks } | undefined;
  private columnsKey = "";
  private layoutKey = "";
  private appliedFilter = "";
  private rows: number[] = [];
  private hidden = new Set<number>();
  private anchor: number | undefined;
  private updating = false;
  private filterTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: RunsTableContext) {
    this.filterInput = el("input", {
      type: "search",
      id: "runs-filter",
      class: "runs-filter",
      placeholder: 'Filter runs: lr < 0.1 && val_acc > 0.9, trial ~ "lr=*", status == FAILED, note ~ "baseline"',
      "aria-label": "Filter runs (expression)",
      spellcheck: "false",
      "aria-describedby": "runs-filter-error",
    });
    this.filterInput.addEventListener("input", () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.setTable({ filter: this.filterInput.value }), 150);
    });
    this.filterInput.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      clearTimeout(this.filterTimer);
      this.setTable({ filter: this.filterInput.value });
    });
    this.filterError = el("div", { id: "runs-filter-error", class: "filter-error", role: "alert" });
    this.count = el("span", { class: "runs-count", "aria-live": "polite" });
    this.differing = el("input", { type: "checkbox", id: "only-differing" });
    this.differing.addEventListener("change", () => ctx.change({ onlyDifferingParams: this.differing.checked }));
    const all = el("button", { type: "button", title: "Plot every run of the table" }, "Plot all");
    all.addEventListener("click", () => ctx.change({ hiddenRuns: [] }));
    this.noteButton = el(
      "button",
      { type: "button", disabled: "", title: "Edit the note of the selected run" },
      "Note…",
    );
    this.noteButton.addEventListener("click", () => this.editSelected("note"));
    this.tagsButton = el(
      "button",
      { type: "button", disabled: "", title: "Edit the tags of the selected run" },
      "Tags…",
    );
    this.tagsButton.addEventListener("click", () => this.editSelected("tags"));
    this.compareButton = el(
      "button",
      { type: "button", disabled: "", id: "compare-runs", title: "Select two runs to compare their settings" },
      "Compare settings",
    );
    this.compareButton.addEventListener("click", () => {
      const [a, b] = ctx.runFilter.selected();
      if (a === undefined || b === undefined) return;
      this.comparison.replaceChildren(el("p", { class: "empty" }, "Comparing…"));
      ctx.post({ type: "compareRuns", runIds: [a, b] });
    });
    this.chooserSearch = el("input", { type: "search", placeholder: "Find a column", "aria-label": "Find a column" });
    this.chooserSearch.addEventListener("input", () => this.renderChooser());
    this.chooserList = el("div", { class: "chooser-list", role: "list" });
    this.chooser = el("details", { class: "column-chooser" }, el("summary", {}, "Columns"));
    this.chooser.append(el("div", { class: "chooser-body" }, this.chooserSearch, this.chooserList));
    this.chooser.addEventListener("toggle", () => this.renderChooser());
    this.grid = new VirtualGrid(
      {
        rowCount: () => this.rows.length,
        sizingRowCount: () => this.runs.length,
        cell: (row, c) => this.cell(row, c),
        rowClass: (row) => this.rowClass(row),
        rowId: (row) => String(this.runAt(row).id),
        headerMark: (c) => this.headerMark(c),
        headerTitle: (c) =>
          c.id === "plot"
            ? "Plotted in the charts"
            : `Sort by ${c.label} (click again to reverse); choose, pin and summarise columns under Columns`,
      },
      {
        onCell: (row, c, e) => this.onCell(row, c, e),
        onHeader: (c) => this.onHeader(c),
        onCellDouble: (row, c) => {
          if (c.id === "note" || c.id === "tags") this.edit(this.runAt(row).id, c.id);
        },
      },
    );
    this.comparison = el("div", { class: "comparison", "aria-live": "polite" });
    this.root = el(
      "div",
      { class: "runs-body" },
      el(
        "div",
        { class: "table-controls" },
        this.filterInput,
        this.count,
        this.chooser,
        el("label", {}, this.differing, " Only params that differ"),
        all,
        this.noteButton,
        this.tagsButton,
        this.compareButton,
      ),
      this.filterError,
      this.grid.root,
      this.comparison,
    );
    ctx.runFilter.subscribe((change) => {
      if (this.updating) return;
      if (change.visible) this.refreshRows();
      if (change.selected) {
        this.syncButtons();
        this.grid.invalidate();
        this.grid.render();
        if (change.origin !== FILTER_SOURCE) this.revealSelection();
      }
    });
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.grid.render()).observe(this.grid.root);
  }

  /**
   * The runs changed, or settings the table shows: rebuilds only what depends on what changed
   * (a filter edit does not rebuild the columns, a new filter does not sort again).
   */
  render(runs: RunSummary[]): void {
    const runsChanged = runs.length !== this.runs.length || runs.some((r, i) => r !== this.runs[i]);
    if (runsChanged) {
      this.runs = runs;
      this.ranks = undefined;
      this.indexById = new Map(runs.map((r, i) => [r.id, i]));
      this.sortKey = "";
    }
    const s = this.ctx.settings();
    this.differing.checked = s.onlyDifferingParams;
    if (document.activeElement !== this.filterInput) this.filterInput.value = s.table.filter;
    this.hidden = new Set(s.hiddenRuns);
    const columnsKey = `${s.onlyDifferingParams}|${JSON.stringify(s.table.summaries)}`;
    const columnsChanged = runsChanged || columnsKey !== this.columnsKey;
    if (columnsChanged) {
      this.columnsKey = columnsKey;
      this.all = tableColumns(runs, { onlyDiffering: s.onlyDifferingParams, summaries: s.table.summaries });
      this.sortKey = "";
    }
    const layoutKey = `${JSON.stringify(s.table.hiddenColumns)}|${JSON.stringify(s.table.pinnedColumns)}`;
    if (columnsChanged || layoutKey !== this.layoutKey) {
      this.layoutKey = layoutKey;
      const { shown, pinned } = layoutColumns(this.all, s.table);
      this.gridColumns = [PLOT_COLUMN, ...shown.map((c) => gridColumn(c, s.table.summaries[c.id]))];
      this.byGridId = new Map(shown.map((c) => [c.id, c]));
      this.grid.setColumns(this.gridColumns, pinned + 1);
    }
    if (columnsChanged || s.table.filter !== this.appliedFilter) this.applyFilter();
    else this.refreshRows();
    if (this.chooser.hasAttribute("open")) this.renderChooser();
  }

  /** Filter expression -> RunFilter ("table" source); the rows follow from its visible set. */
  private applyFilter(): void {
    const s = this.ctx.settings();
    this.appliedFilter = s.table.filter;
    const result = applyFilter(this.runs, this.all, s.table.filter);
    this.updating = true;
    try {
      if (result.ok) {
        this.filterError.replaceChildren();
        this.filterInput.removeAttribute("aria-invalid");
        this.ctx.runFilter.setFilter(FILTER_SOURCE, result.keep);
      } else {
        // Keep the last good filter in force while the expression is being typed.
        this.filterInput.setAttribute("aria-invalid", "true");
        this.filterError.replaceChildren(
          el("span", { class: "message" }, `Filter: ${result.error}`),
          el("pre", { class: "caret" }, `${s.table.filter}\n${" ".repeat(result.at)}^`),
        );
      }
    } finally {
      this.updating = false;
    }
    this.refreshRows();
  }

  private refreshRows(): void {
    const s = this.ctx.settings();
    const sortCol = this.all.find((c) => c.id === s.sortColumn);
    const key = `${sortCol?.id ?? ""}|${s.sortDescending}`;
    if (key !== this.sortKey) {
      if (!sortCol) this.sorted = this.runs.map((_, i) => i);
      else {
        if (this.ranks?.column !== sortCol)
          this.ranks = { column: sortCol, ranks: sortRanks(this.runs.map((r) => sortCol.get(r))) };
        this.sorted = orderByRanks(this.ranks.ranks, s.sortDescending);
      }
      this.sortKey = key;
    }
    const f = this.ctx.runFilter;
    this.rows =
      f.visible().length === this.runs.length ? this.sorted : this.sorted.filter((i) => f.isVisible(this.runs[i].id));
    this.count.textContent =
      this.rows.length === this.runs.length
        ? `${this.runs.length} run${this.runs.length === 1 ? "" : "s"}`
        : `${this.rows.length} of ${this.runs.length} runs`;
    this.syncButtons();
    this.grid.invalidate();
    this.grid.render();
  }

  private setTable(patch: Partial<TableSettings>): void {
    this.ctx.change({ table: { ...this.ctx.settings().table, ...patch } });
  }

  private runAt(row: number): RunSummary {
    return this.runs[this.rows[row]];
  }

  private cell(row: number, c: GridColumn): { text: string; cls?: string; swatch?: string; title?: string } {
    const r = this.runAt(row);
    if (c.id === "plot") {
      const on = !this.hidden.has(r.id);
      return { text: on ? "☑" : "☐", title: on ? "Plotted: click to hide from the charts" : "Hidden: click to plot" };
    }
    const col = this.byGridId.get(c.id)!;
    const v = col.get(r);
    const text = formatCell(v);
    if (col.kind === "run") return { text, swatch: this.ctx.styleOf(r.id).color };
    if (col.kind === "note" || col.kind === "tags")
      return { text: v === undefined ? "" : text, title: `${text === "—" ? "" : text}\n(double-click to edit)` };
    return { text, cls: typeof v === "number" ? "num" : undefined };
  }

  private rowClass(row: number): string {
    const r = this.runAt(row);
    return `${this.ctx.runFilter.isSelected(r.id) ? "selected " : ""}${row % 2 ? "odd " : ""}st-${r.status.toLowerCase()}`;
  }

  private headerMark(c: GridColumn): string {
    const s = this.ctx.settings();
    return c.id === s.sortColumn ? (s.sortDescending ? " ▼" : " ▲") : "";
  }

  private onHeader(c: GridColumn): void {
    if (c.id === "plot") return;
    const s = this.ctx.settings();
    const active = c.id === s.sortColumn;
    this.ctx.change({ sortColumn: c.id, sortDescending: active ? !s.sortDescending : false });
  }

  private onCell(row: number, c: GridColumn, e: MouseEvent): void {
    const id = this.runAt(row).id;
    if (c.id === "plot") {
      const next = new Set(this.ctx.settings().hiddenRuns);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.ctx.change({ hiddenRuns: [...next] });
      return;
    }
    const f = this.ctx.runFilter;
    if (e.shiftKey && this.anchor !== undefined) {
      const from = this.rows.findIndex((i) => this.runs[i].id === this.anchor);
      if (from >= 0) {
        const [a, b] = from < row ? [from, row] : [row, from];
        f.select(
          this.rows.slice(a, b + 1).map((i) => this.runs[i].id),
          FILTER_SOURCE,
        );
        return;
      }
    }
    this.anchor = id;
    if (e.ctrlKey || e.metaKey) f.toggle(id, FILTER_SOURCE);
    else f.select(f.isSelected(id) && f.selectedCount === 1 ? [] : [id], FILTER_SOURCE);
  }

  private revealSelection(): void {
    const first = this.rows.findIndex((i) => this.ctx.runFilter.isSelected(this.runs[i].id));
    if (first >= 0) this.grid.scrollToRow(first);
  }

  private syncButtons(): void {
    const n = this.ctx.runFilter.selectedCount;
    const one = n === 1;
    this.noteButton.disabled = !one;
    this.tagsButton.disabled = !one;
    this.compareButton.disabled = n !== 2;
    this.compareButton.title =
      n === 2
        ? "Show the settings that differ between the two selected runs"
        : "Select two runs to compare their settings";
  }

  private editSelected(what: "note" | "tags"): void {
    const [id] = this.ctx.runFilter.selected();
    if (id !== undefined) this.edit(id, what);
  }

  private edit(runId: number, what: "note" | "tags"): void {
    this.ctx.post({ type: "editRun", runId, what });
  }

  /** The host's answer to "Compare settings". */
  showComparison(m: ComparisonMessage): void {
    const label = (id: number) => {
      const i = this.indexById.get(id);
      return i === undefined ? `run ${id}` : runLabel(this.runs[i]);
    };
    this.comparison.replaceChildren(
      renderComparison(m, label(m.runIds[0]), label(m.runIds[1]), () => this.comparison.replaceChildren()),
    );
  }

  private renderChooser(): void {
    if (!this.chooser.hasAttribute("open")) return;
    const s = this.ctx.settings().table;
    const hidden = new Set(s.hiddenColumns);
    const pinned = new Set(s.pinnedColumns);
    const q = this.chooserSearch.value.trim().toLowerCase();
    const items = this.all
      .filter((c) => !q || c.label.toLowerCase().includes(q))
      .map((c) => {
        const show = el("input", { type: "checkbox", "aria-label": `Show ${c.label}` });
        show.checked = !hidden.has(c.id);
        show.addEventListener("change", () => {
          const next = new Set(this.ctx.settings().table.hiddenColumns);
          if (show.checked) next.delete(c.id);
          else next.add(c.id);
          this.setTable({ hiddenColumns: [...next] });
        });
        const pin = el("input", { type: "checkbox", "aria-label": `Pin ${c.label}` });
        pin.checked = pinned.has(c.id);
        pin.addEventListener("change", () => {
          const current = this.ctx.settings().table.pinnedColumns.filter((id) => id !== c.id);
          this.setTable({ pinnedColumns: pin.checked ? [...current, c.id] : current });
        });
        const parts: (HTMLElement | string)[] = [
          el("label", { class: "show" }, show, ` ${c.label}`),
          el("label", { class: "pin" }, pin, " pin"),
        ];
        if (c.kind === "metric") {
          const select = el(
            "select",
            { "aria-label": `Summary of ${c.label}` },
            ...METRIC_SUMMARIES.map((m) => el("option", { value: m }, m)),
          );
          select.value = c.summary ?? "last";
          select.addEventListener("change", () => {
            const summaries = { ...this.ctx.settings().table.summaries };
            if (select.value === "last") delete summaries[c.id];
            else summaries[c.id] = select.value as MetricSummary;
            this.setTable({ summaries });
          });
          parts.push(select);
        }
        return el("div", { class: `chooser-item ${c.kind}`, role: "listitem" }, ...parts);
      });
    this.chooserList.replaceChildren(...items);
  }

  /** Run ids in row order (tests and the benchmark). */
  rowRunIds(): number[] {
    return this.rows.map((i) => this.runs[i].id);
  }
}

function gridColumn(c: Column, summary: MetricSummary | undefined): GridColumn {
  const numeric = c.kind === "metric" || c.kind === "param";
  return {
    id: c.id,
    label: c.kind === "metric" && summary && summary !== "last" ? `${c.label} (${summary})` : c.label,
    width: WIDTHS[c.kind],
    cls: `${c.kind}${numeric ? " num" : ""}`,
  };
}
