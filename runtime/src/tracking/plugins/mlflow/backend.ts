import type { MlflowRunStatusName } from "./mlflow-format";

/** A run as the tracker knows it; `id` is set once the store has created it. */
export interface RunHandle {
  id?: string;
  name: string;
  /** Where the store keeps the run's artifacts (REST: from runs/create). */
  artifactUri?: string;
}

export interface ExperimentHandle {
  id?: string;
  name: string;
}

export interface MetricRecord {
  key: string;
  value: number;
  /** ms since the Unix epoch. */
  timestamp: number;
  step: number;
}

/**
 * Where MLflowTracker writes: the file store (`mlruns/`) or a tracking server (REST). Calls
 * are made in order and return at once; a backend may buffer until `flush()`, which returns
 * when everything before it is written (or throws what went wrong since the last flush).
 */
export interface MlflowBackend {
  /** A description, for messages: the store folder or the server URL. */
  readonly location: string;
  experiment(name: string, description?: string): ExperimentHandle;
  createRun(
    experiment: ExperimentHandle,
    options: { name: string; startTime: number; parent?: RunHandle; tags: Record<string, string> },
  ): RunHandle;
  logMetric(run: RunHandle, metric: MetricRecord): void;
  logParams(run: RunHandle, params: Record<string, string>): void;
  setTags(run: RunHandle, tags: Record<string, string>): void;
  endRun(run: RunHandle, status: MlflowRunStatusName, endTime: number): void;
  /** Adds a file or folder to the run's artifacts, under its base name. */
  logArtifact(run: RunHandle, localPath: string): void;
  /** Starts writing what is buffered without waiting (called from synchronous hooks). */
  push(): void;
  flush(): void | Promise<void>;
  close(): void | Promise<void>;
}
