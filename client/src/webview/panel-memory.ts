/**
 * What a metrics panel was showing, remembered across a close and reopen of the same selection
 * (the serializer covers a window reload; this covers the user closing the tab and opening the
 * experiment again): the compare choices (metric axes, scatter), grouping and band, the table's
 * columns, pins, summaries, sort and filter. Kept in the workspace's state (a Memento) by
 * selection key, the most recently used first, at most MAX_REMEMBERED panels. Pure: the
 * Memento is an interface, so tests use a Map.
 */
import type { PanelSelection, PanelSettings } from "./contract";
import { repairSettings } from "./validate";
import { selectionKey } from "./wire";

/** The part of vscode.Memento used here. */
export interface SettingsMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void> | void;
}

export const MEMORY_KEY = "experimentManager.metricsPanels";
export const MAX_REMEMBERED = 50;

interface Entry {
  key: string;
  settings: unknown;
}

export class PanelMemory {
  constructor(private readonly memento: SettingsMemento) {}

  /** The settings last used for this selection (damaged fields repaired to defaults), if any. */
  recall(selection: PanelSelection): PanelSettings | undefined {
    const key = selectionKey(selection);
    const entry = this.entries().find((e) => e.key === key);
    return entry ? repairSettings(entry.settings) : undefined;
  }

  /** Remembers the settings of a selection, most recent first; the oldest beyond the cap go. */
  remember(selection: PanelSelection, settings: PanelSettings): PromiseLike<void> | void {
    const key = selectionKey(selection);
    const rest = this.entries().filter((e) => e.key !== key);
    return this.memento.update(MEMORY_KEY, [{ key, settings }, ...rest].slice(0, MAX_REMEMBERED));
  }

  private entries(): Entry[] {
    const stored = this.memento.get<unknown>(MEMORY_KEY);
    if (!Array.isArray(stored)) return [];
    return stored.filter(
      (e): e is Entry => typeof e === "object" && e !== null && typeof (e as Entry).key === "string",
    );
  }
}
