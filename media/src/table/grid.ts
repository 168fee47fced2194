/**
 * A virtualised grid: only the rows and columns on screen (plus a small margin) are in the DOM,
 * so 10,000 runs x hundreds of columns cost what a screenful costs.
 *
 * Rows are absolutely placed divs kept by row index: on a scroll, rows that stay in view are not
 * touched, rows that leave are reused for the rows that enter, so a frame of scrolling rewrites
 * a few rows, not the screen. Inside a row, cells are kept by column index the same way. The
 * header and the pinned columns stay in place with CSS sticky positioning (the compositor keeps
 * them still while scrolling, no script in that path); the grid renders its window in the
 * scroll event. A change of the data calls invalidate(): every row on screen is redrawn once.
 */
import { el } from "../ui/dom";

export interface GridColumn {
  id: string;
  label: string;
  width: number;
  /** Extra class for the column's cells (kind, numeric alignment). */
  cls: string;
}

export interface GridCell {
  text: string;
  cls?: string;
  /** A colour swatch before the text (the run's line colour). */
  swatch?: string;
  title?: string;
}

export interface GridSource {
  rowCount(): number;
  /**
   * Rows the grid's height is sized for (default: rowCount). The runs table sizes for every
   * run, so filtering (a brush being dragged) does not shrink the table and move what is
   * below it, the plot under the pointer included.
   */
  sizingRowCount?(): number;
  cell(row: number, column: GridColumn): GridCell;
  /** Class of a whole row (selected, status). */
  rowClass(row: number): string;
  /** What the row shows (a run id), as its data-run attribute: tests and the rig find rows by it. */
  rowId(row: number): string;
  /** Text after a header label (the sort arrow). */
  headerMark(column: GridColumn): string;
  headerTitle(column: GridColumn): string;
}

export const ROW_HEIGHT = 24;
export const HEADER_HEIGHT = 28;
/** Rows and pixels rendered beyond the visible window, so a small scroll shows ready cells. */
const ROW_MARGIN = 4;
/** The grid's height when it has many rows (the user can drag it taller). */
const MAX_HEIGHT = 360;
const X_MARGIN = 120;

interface CellEl extends HTMLDivElement {
  _col: number;
}
interface RowEl extends HTMLDivElement {
  _row: number;
  _version: number;
  _cls: string;
  _cells: Map<number, CellEl>;
}

/** The rows of one layer (the pinned columns, or the scrolling ones). */
class RowLayer {
  private readonly rows = new Map<number, RowEl>();
  private readonly spareRows: RowEl[] = [];
  private readonly spareCells: CellEl[] = [];

  constructor(
    readonly parent: HTMLElement,
    private readonly grid: VirtualGrid,
  ) {}

  render(first: number, last: number, cols: readonly number[], version: number): void {
    const free: RowEl[] = [];
    for (const [r, row] of this.rows)
      if (r < first || r > last) {
        this.rows.delete(r);
        free.push(row);
      }
    const wanted = new Set(cols);
    for (let r = first; r <= last; r++) {
      let row = this.rows.get(r);
      if (!row) {
        row = free.pop() ?? this.newRow();
        if (!row.parentNode) this.parent.appendChild(row);
        row._row = r;
        row._version = -1;
        row.style.transform = `translateY(${r * ROW_HEIGHT}px)`;
        row.dataset.row = String(r);
        this.rows.set(r, row);
      }
      const redraw = row._version !== version;
      if (redraw) {
        const cls = `vt-row ${this.grid.source.rowClass(r)}`;
        if (cls !== row._cls) row.className = row._cls = cls;
        row.dataset.run = this.grid.source.rowId(r);
      }
      // Cells of columns that left the window go back to the spares.
      for (const [c, cell] of row._cells)
        if (!wanted.has(c)) {
          row._cells.delete(c);
          cell.remove();
          this.spareCells.push(cell);
        }
      for (const c of cols) {
        let cell = row._cells.get(c);
        const fresh = !cell;
        if (!cell) {
          cell = this.spareCells.pop() ?? (document.createElement("div") as CellEl);
          cell._col = c;
          row._cells.set(c, cell);
          row.appendChild(cell);
        }
        if (fresh || redraw) this.fill(cell, r, c);
      }
      row._version = version;
    }
    for (const row of free) row.remove();
    this.spareRows.push(...free);
  }

  private newRow(): RowEl {
    const spare = this.spareRows.pop();
    if (spare) return spare;
    const row = document.createElement("div") as RowEl;
    row._cells = new Map();
    row._cls = "";
    row.setAttribute("role", "row");
    return row;
  }

  private fill(cell: CellEl, r: number, c: number): void {
    const col = this.grid.columnAt(c);
    const content = this.grid.source.cell(r, col);
    cell.className = `vt-cell ${col.cls}${content.cls ? ` ${content.cls}` : ""}`;
    cell.style.cssText = `transform:translateX(${this.grid.offsetOf(c)}px);width:${col.width}px`;
    cell.title = content.title ?? content.text;
    cell.dataset.col = String(c);
    if (content.swatch) {
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = content.swatch;
      cell.replaceChildren(sw, content.text);
    } else cell.textContent = content.text;
  }

  clear(): void {
    for (const row of this.rows.values()) {
      row.remove();
      for (const cell of row._cells.values()) cell.remove();
      row._cells.clear();
      this.spareRows.push(row);
    }
    this.rows.clear();
  }
}

export class VirtualGrid {
  readonly root: HTMLElement;
  private readonly head: HTMLElement;
  private readonly headPin: HTMLElement;
  private readonly body: HTMLElement;
  private readonly bodyPin: HTMLElement;
  private readonly pinLayer: RowLayer;
  private readonly mainLayer: RowLayer;
  private columns: GridColumn[] = [];
  private pinned = 0;
  private offsets: number[] = [];
  private pinnedWidth = 0;
  private totalWidth = 0;
  private version = 0;
  private headerKey = "";
  /** Time of the last render's work (for the benchmark). */
  lastRenderMs = 0;

  constructor(
    readonly source: GridSource,
    handlers: {
      onCell(row: number, column: GridColumn, e: MouseEvent): void;
      onHeader(column: GridColumn, e: MouseEvent): void;
      onCellDouble?(row: number, column: GridColumn): void;
    },
  ) {
    this.headPin = el("div", { class: "vt-pin" });
    this.head = el("div", { class: "vt-head", role: "row" }, this.headPin);
    this.bodyPin = el("div", { class: "vt-pin" });
    this.body = el("div", { class: "vt-body", role: "rowgroup" }, this.bodyPin);
    this.root = el("div", { class: "vt-scroll", role: "grid", tabindex: "0" }, this.head, this.body);
    this.pinLayer = new RowLayer(this.bodyPin, this);
    this.mainLayer = new RowLayer(this.body, this);
    this.root.addEventListener("scroll", () => this.render(), { passive: true });
    const hitOf = (e: Event): { row: number; column: GridColumn } | undefined => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>(".vt-cell");
      const column = this.columns[Number(cell?.dataset.col)];
      if (!cell || !column) return undefined;
      if (cell.classList.contains("vt-th")) return { row: -1, column };
      const row = cell.closest<HTMLElement>(".vt-row");
      return row ? { row: Number(row.dataset.row), column } : undefined;
    };
    this.root.addEventListener("click", (e) => {
      const hit = hitOf(e);
      if (!hit) return;
      if (hit.row < 0) handlers.onHeader(hit.column, e);
      else handlers.onCell(hit.row, hit.column, e);
    });
    this.root.addEventListener("dblclick", (e) => {
      const hit = hitOf(e);
      if (hit && hit.row >= 0) handlers.onCellDouble?.(hit.row, hit.column);
    });
  }

  columnAt(i: number): GridColumn {
    return this.columns[i];
  }

  offsetOf(i: number): number {
    return this.offsets[i];
  }

  /** New columns (the first `pinned` of them stick to the left). Redraws everything. */
  setColumns(columns: GridColumn[], pinned: number): void {
    this.columns = columns;
    this.pinned = Math.min(pinned, columns.length);
    this.offsets = [];
    let x = 0;
    for (const c of columns) {
      this.offsets.push(x);
      x += c.width;
    }
    this.totalWidth = x;
    this.pinnedWidth = this.pinned ? this.offsets[this.pinned - 1] + columns[this.pinned - 1].width : 0;
    this.root.setAttribute("aria-colcount", String(columns.length));
    // Cells are kept by column index: other columns under the same index must not survive.
    this.pinLayer.clear();
    this.mainLayer.clear();
    this.invalidate();
  }

  /** The data, the order or the selection changed: the rows on screen are redrawn once. */
  invalidate(): void {
    this.version++;
    this.headerKey = "";
  }

  /** Scrolls so that `row` is on screen (a run selected in a plot or the tree). */
  scrollToRow(row: number): void {
    const top = row * ROW_HEIGHT;
    const view = this.root.clientHeight - HEADER_HEIGHT;
    if (top < this.root.scrollTop) this.root.scrollTop = top;
    else if (top + ROW_HEIGHT > this.root.scrollTop + view) this.root.scrollTop = top + ROW_HEIGHT - view;
  }

  /** Renders the rows and columns in view; cheap enough for every scroll event. */
  render(): void {
    const t0 = performance.now();
    const rows = this.source.rowCount();
    const height = rows * ROW_HEIGHT;
    const sizeKey = `${this.totalWidth}x${height}x${this.pinnedWidth}x${this.source.sizingRowCount?.() ?? rows}`;
    if (this.body.dataset.size !== sizeKey) {
      this.body.dataset.size = sizeKey;
      this.body.style.width = `${this.totalWidth}px`;
      this.body.style.height = `${height}px`;
      this.head.style.width = `${this.totalWidth}px`;
      this.headPin.style.width = this.bodyPin.style.width = `${this.pinnedWidth}px`;
      this.bodyPin.style.height = `${height}px`;
      this.root.setAttribute("aria-rowcount", String(rows + 1));
      // As tall as its rows (plus room for a horizontal scrollbar), up to a screenful of them.
      const sizing = (this.source.sizingRowCount?.() ?? rows) * ROW_HEIGHT;
      this.root.style.height = `${Math.min(Math.max(height, sizing) + HEADER_HEIGHT + 16, MAX_HEIGHT)}px`;
    }
    const scrollTop = this.root.scrollTop;
    const scrollLeft = this.root.scrollLeft;
    const viewH = this.root.clientHeight || 400;
    const viewW = this.root.clientWidth || 800;
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - ROW_MARGIN);
    const last = Math.min(rows - 1, Math.ceil((scrollTop + viewH) / ROW_HEIGHT) + ROW_MARGIN);
    // Scrolling columns overlapping the window (they pass under the pinned ones).
    const left = scrollLeft + this.pinnedWidth - X_MARGIN;
    const right = scrollLeft + viewW + X_MARGIN;
    const visible: number[] = [];
    for (let i = this.pinned; i < this.columns.length; i++) {
      const x = this.offsets[i];
      if (x + this.columns[i].width < left) continue;
      if (x > right) break;
      visible.push(i);
    }
    const pinnedCols = Array.from({ length: this.pinned }, (_, i) => i);
    this.renderHeader(pinnedCols, visible);
    this.pinLayer.render(first, last, pinnedCols, this.version);
    this.mainLayer.render(first, last, visible, this.version);
    this.lastRenderMs = performance.now() - t0;
  }

  private renderHeader(pinnedCols: number[], visible: number[]): void {
    const key = `${this.version}|${visible[0]}|${visible[visible.length - 1]}`;
    if (key === this.headerKey) return;
    this.headerKey = key;
    const cell = (i: number) => {
      const c = this.columns[i];
      return el(
        "div",
        {
          class: `vt-cell vt-th ${c.cls}`,
          role: "columnheader",
          title: this.source.headerTitle(c),
          "data-col": String(i),
          style: `transform:translateX(${this.offsets[i]}px);width:${c.width}px`,
        },
        c.label + this.source.headerMark(c),
      );
    };
    this.headPin.replaceChildren(...pinnedCols.map(cell));
    this.head.replaceChildren(this.headPin, ...visible.map(cell));
  }

  /** Cells in the DOM now (the benchmark and tests check the virtualisation). */
  cellCount(): number {
    return this.root.querySelectorAll(".vt-cell").length;
  }
}
