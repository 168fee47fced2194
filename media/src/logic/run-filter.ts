/**
 * The panel-wide set of runs: which are visible (pass every filter) and which are selected.
 * One instance per panel, shared by the runs table, the charts, parallel coordinates and the
 * scatter, so a filter typed in the table or a brush on an axis narrows every view at once,
 * and a run picked in one view is highlighted in all of them (and from the Experiments tree).
 *
 * Filters are named by their source ("table", "brush:lr", ...): each keeps a set of run ids or
 * nothing (no constraint); a run is visible when every active filter keeps it. Sources replace
 * only their own filter, so a brush does not undo the table's expression and vice versa.
 *
 * Pure: no DOM. Listeners are called synchronously after each change that changed something,
 * with what changed; views that redraw should coalesce to an animation frame themselves.
 */

export type RunId = number;

/** Who changed the selection: views skip echoes of their own changes if they want to. */
export type ChangeOrigin = string;

export interface RunFilterChange {
  /** The set of visible runs changed (runs listed, a filter set or cleared). */
  visible: boolean;
  /** The set of selected runs changed. */
  selected: boolean;
  origin: ChangeOrigin;
  /**
   * When a filter changed (not the run list): the runs whose visibility flipped, so a view can
   * redraw only what shows one of them. Absent: treat every run as changed.
   */
  changed?: readonly RunId[];
}

export type RunFilterListener = (change: RunFilterChange) => void;

export class RunFilter {
  private order: RunId[] = [];
  private known = new Set<RunId>();
  private readonly filters = new Map<string, ReadonlySet<RunId>>();
  private visibleSet = new Set<RunId>();
  private visibleOrder: RunId[] = [];
  private selectedSet = new Set<RunId>();
  private readonly listeners = new Set<RunFilterListener>();

  /**
   * The runs of the panel, in listing order. Filters and the selection forget runs that are
   * gone; runs that are new pass the existing filters only if the filters keep them (a filter
   * source that should see new runs recomputes and calls setFilter again).
   */
  setRuns(ids: readonly RunId[], origin: ChangeOrigin = "runs"): void {
    const same = ids.length === this.order.length && ids.every((id, i) => id === this.order[i]);
    if (same) return;
    this.order = [...ids];
    this.known = new Set(ids);
    let selected = false;
    for (const id of [...this.selectedSet])
      if (!this.known.has(id)) {
        this.selectedSet.delete(id);
        selected = true;
      }
    this.recompute();
    this.emit({ visible: true, selected, origin });
  }

  /**
   * Sets the filter of one source: the runs it keeps, or null to remove it. Ids of unknown
   * runs are ignored.
   */
  setFilter(source: string, keep: Iterable<RunId> | null, origin: ChangeOrigin = source): void {
    const before = this.filters.get(source);
    if (keep === null) {
      if (!before) return;
      this.filters.delete(source);
    } else {
      const next = new Set(keep);
      if (before && sameSet(before, next)) return;
      this.filters.set(source, next);
    }
    this.refilter(origin);
  }

  /** The filter a source set, if any. */
  filterOf(source: string): ReadonlySet<RunId> | undefined {
    return this.filters.get(source);
  }

  /** Sources with an active filter, e.g. to show "filtered by: table, brush:lr". */
  activeFilters(): string[] {
    return [...this.filters.keys()];
  }

  clearFilters(origin: ChangeOrigin = "clear"): void {
    if (this.filters.size === 0) return;
    this.filters.clear();
    this.refilter(origin);
  }

  /** Recomputes the visible runs after a filter change; tells the listeners which flipped. */
  private refilter(origin: ChangeOrigin): void {
    const was = this.visibleSet;
    this.recompute();
    const now = this.visibleSet;
    const changed: RunId[] = [];
    for (const id of this.order) if (was.has(id) !== now.has(id)) changed.push(id);
    if (changed.length) this.emit({ visible: true, selected: false, origin, changed });
  }

  /** Replaces the selection (unknown ids ignored). */
  select(ids: Iterable<RunId>, origin: ChangeOrigin): void {
    const next = new Set<RunId>();
    for (const id of ids) if (this.known.has(id)) next.add(id);
    if (sameSet(next, this.selectedSet)) return;
    this.selectedSet = next;
    this.emit({ visible: false, selected: true, origin });
  }

  /** Adds a run to the selection or removes it (ctrl/cmd-click). */
  toggle(id: RunId, origin: ChangeOrigin): void {
    if (!this.known.has(id)) return;
    const next = new Set(this.selectedSet);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.selectedSet = next;
    this.emit({ visible: false, selected: true, origin });
  }

  isVisible(id: RunId): boolean {
    return this.visibleSet.has(id);
  }

  isSelected(id: RunId): boolean {
    return this.selectedSet.has(id);
  }

  /** Every run of the panel, listing order. */
  all(): readonly RunId[] {
    return this.order;
  }

  /** Visible runs, listing order. */
  visible(): readonly RunId[] {
    return this.visibleOrder;
  }

  /** Selected runs, listing order. */
  selected(): RunId[] {
    return this.order.filter((id) => this.selectedSet.has(id));
  }

  get selectedCount(): number {
    return this.selectedSet.size;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: RunFilterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private recompute(): void {
    const filters = [...this.filters.values()];
    this.visibleOrder = filters.length ? this.order.filter((id) => filters.every((f) => f.has(id))) : [...this.order];
    this.visibleSet = new Set(this.visibleOrder);
  }

  private emit(change: RunFilterChange): void {
    // A listener that throws must not keep the others from hearing about the change.
    let failure: unknown;
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
