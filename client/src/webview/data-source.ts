/**
 * The seam between the metrics panel and whoever knows the data. The extension implements it
 * on top of the query service (`expman serve`) and its run-event reader; the panel never
 * touches the database. Everything here is plain TypeScript (no `vscode`), so tests and the
 * browser harness can supply a real in-memory implementation.
 */
import type {
  CheckpointRecord,
  RunConfig,
  RunEvent,
  RunSummary,
  Series,
  SeriesKey,
  SeriesQuery,
} from "@expman/runtime/contracts";
import type { PanelSelection } from "./contract";

export interface Disposable {
  dispose(): void;
}

export interface MetricsDataSource {
  /** Runs of the selection (an experiment's runs, or exactly the given run ids). */
  listRuns(selection: PanelSelection): Promise<RunSummary[]>;
  /** Metric keys logged by a run. `db` is the selection's database, when it names one. */
  seriesKeys(runId: number, db?: string): Promise<SeriesKey[]>;
  /** One series, whole or reduced to min/max/last buckets, optionally limited to a step range. */
  getSeries(query: SeriesQuery, db?: string): Promise<Series>;
  listCheckpoints(runId: number, db?: string): Promise<CheckpointRecord[]>;
  /** Live run events (metrics, lifecycle, checkpoints) of runs started by the extension. */
  onRunEvent(listener: (event: RunEvent) => void): Disposable;
  /** Reveals a checkpoint in the experiments tree (and whatever else the extension does). */
  revealCheckpoint(target: { runId: number; checkpointId: number; path: string; db?: string }): void | Promise<void>;
  /** The config a run used ("Compare settings"); null when the store does not know it. */
  runConfig?(runId: number, db?: string): Promise<RunConfig | null>;
  /** Panel title for a selection; the panel falls back to a generic one. */
  describe?(selection: PanelSelection): Promise<string>;
}
