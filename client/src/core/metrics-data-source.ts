/**
 * The metrics panel's data (client/src/webview/data-source.ts) on top of the query service
 * and the run events of runs started here: the one typed contract through which the tree and
 * the run manager feed the panel.
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
import type { PanelSelection } from "../webview/contract";
import type { Disposable, MetricsDataSource } from "../webview/data-source";
import type { Query } from "./tree-model";

export interface DataSourceDeps {
  query: Query;
  /** The database to use when a selection names none (the first one found). */
  defaultDb(): Promise<string | undefined>;
  onRunEvent(listener: (event: RunEvent) => void): Disposable;
  revealCheckpoint(target: { runId: number; checkpointId: number; path: string; db?: string }): void | Promise<void>;
}

export class QueryDataSource implements MetricsDataSource {
  constructor(private readonly deps: DataSourceDeps) {}

  private async db(db?: string): Promise<string> {
    const chosen = db ?? (await this.deps.defaultDb());
    if (!chosen)
      throw new Error("No experiment database was found in this workspace (setting experimentManager.databaseGlobs).");
    return chosen;
  }

  async listRuns(selection: PanelSelection): Promise<RunSummary[]> {
    const db = await this.db(selection.db);
    if (selection.kind === "experiment")
      return this.deps.query("runs.list", { db, experimentId: selection.experimentId });
    const runs = await Promise.all(selection.runIds.map((runId) => this.deps.query("run.get", { db, runId })));
    return runs.filter((r): r is RunSummary => r !== null);
  }

  async seriesKeys(runId: number, db?: string): Promise<SeriesKey[]> {
    return this.deps.query("series.keys", { db: await this.db(db), runId });
  }

  async getSeries(query: SeriesQuery, db?: string): Promise<Series> {
    return this.deps.query("series.get", { db: await this.db(db), ...query });
  }

  async listCheckpoints(runId: number, db?: string): Promise<CheckpointRecord[]> {
    return this.deps.query("checkpoints.list", { db: await this.db(db), runId });
  }

  async runConfig(runId: number, db?: string): Promise<RunConfig | null> {
    return this.deps.query("run.config", { db: await this.db(db), runId });
  }

  onRunEvent(listener: (event: RunEvent) => void): Disposable {
    return this.deps.onRunEvent(listener);
  }

  revealCheckpoint(target: { runId: number; checkpointId: number; path: string; db?: string }): void | Promise<void> {
    return this.deps.revealCheckpoint(target);
  }

  async describe(selection: PanelSelection): Promise<string> {
    const db = await this.db(selection.db);
    if (selection.kind === "experiment") {
      const experiments = await this.deps.query("experiments.list", { db });
      const e = experiments.find((x) => x.id === selection.experimentId);
      return e ? `Metrics: ${e.title}` : `Metrics: experiment ${selection.experimentId}`;
    }
    if (selection.runIds.length === 1) {
      const run = await this.deps.query("run.get", { db, runId: selection.runIds[0] });
      if (run) return `Metrics: ${run.trialName}-${run.repeat}`;
    }
    return `Metrics: ${selection.runIds.length} runs`;
  }
}
