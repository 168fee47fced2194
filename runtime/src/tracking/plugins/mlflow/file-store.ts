import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { ExperimentHandle, MetricRecord, MlflowBackend, RunHandle } from "./backend";
import {
  MlflowRunStatus,
  dumpMetaYaml,
  newExperimentId,
  parseMetaYaml,
  pythonFloat,
  type MlflowRunStatusName,
} from "./mlflow-format";

const DEFAULT_EXPERIMENT_ID = "0";
const TRASH = ".trash";

interface RunState {
  experimentId: string;
  dir: string;
  meta: Record<string, string | number | null | never[]>;
  /** Metric lines waiting for flush, by key. */
  pending: Map<string, string>;
}

/**
 * MLflow's file store, laid out as mlflow/store/tracking/file_store.py lays it out, so
 * `mlflow ui --backend-store-uri <dir>` (and `mlflow.search_runs`) read it:
 *
 *   <root>/.trash/
 *   <root>/0/meta.yaml                                   the "Default" experiment
 *   <root>/<experiment_id>/meta.yaml                     artifact_location, creation_time,
 *                                                        experiment_id, last_update_time,
 *                                                        lifecycle_stage, name
 *   <root>/<experiment_id>/tags/<key>                    experiment tags (value, no newline)
 *   <root>/<experiment_id>/<run_id>/meta.yaml            run info (status as MLflow's number)
 *   <root>/<experiment_id>/<run_id>/metrics/<key>        lines "timestamp value step"
 *   <root>/<experiment_id>/<run_id>/params/<key>         value
 *   <root>/<experiment_id>/<run_id>/tags/<key>           value
 *   <root>/<experiment_id>/<run_id>/artifacts/
 *
 * Metric lines are buffered per run and key and appended on flush; everything else is written
 * at once. Keys must already be valid MLflow names (the tracker sanitises them).
 */
export class MlflowFileStore implements MlflowBackend {
  readonly root: string;
  private readonly runs = new Map<RunHandle, RunState>();
  private readonly experiments = new Map<string, ExperimentHandle>();
  private readonly user: string;
  private ready = false;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.user = currentUser();
  }

  /**
   * Creates the store on first use, not in the constructor: a tracker that cannot write must
   * not stop the experiment from being built; its errors go through the TrackerManager.
   */
  private ensureRoot(): void {
    if (this.ready) return;
    try {
      if (!fs.existsSync(this.root)) {
        fs.mkdirSync(this.root, { recursive: true });
        this.writeExperiment(DEFAULT_EXPERIMENT_ID, "Default");
      }
      fs.mkdirSync(path.join(this.root, TRASH), { recursive: true });
    } catch (error) {
      throw new Error(
        `MLflowTracker cannot create its file store at ${this.root}: ${(error as Error).message}. Make the folder writable, or set tracking_uri to an MLflow server.`,
        { cause: error },
      );
    }
    this.ready = true;
  }

  get location(): string {
    return this.root;
  }

  /** The experiment named `name`, created if there is none (as `mlflow.set_experiment`). */
  experiment(name: string, description?: string): ExperimentHandle {
    const known = this.experiments.get(name);
    if (known) return known;
    this.ensureRoot();
    let id = this.findExperiment(name);
    if (id === undefined) {
      id = newExperimentId();
      this.writeExperiment(id, name);
    }
    if (description) this.writeFile(path.join(this.root, id, "tags", "mlflow.note.content"), description);
    const handle = { id, name };
    this.experiments.set(name, handle);
    return handle;
  }

  createRun(
    experiment: ExperimentHandle,
    options: { name: string; startTime: number; parent?: RunHandle; tags: Record<string, string> },
  ): RunHandle {
    const experimentId = experiment.id!;
    const runId = randomUUID().replace(/-/g, "");
    const dir = path.join(this.root, experimentId, runId);
    const meta: RunState["meta"] = {
      artifact_uri: pathToFileURL(path.join(dir, "artifacts")).href,
      deleted_time: null,
      end_time: null,
      entry_point_name: "",
      experiment_id: experimentId,
      lifecycle_stage: "active",
      run_id: runId,
      run_name: options.name,
      run_uuid: runId,
      source_name: "",
      source_type: 4, // SourceType.LOCAL
      source_version: "",
      start_time: options.startTime,
      status: MlflowRunStatus.RUNNING,
      tags: [],
      user_id: this.user,
    };
    for (const sub of ["metrics", "params", "artifacts", "tags"])
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    this.writeFile(path.join(dir, "meta.yaml"), dumpMetaYaml(meta));
    const handle: RunHandle = { id: runId, name: options.name };
    this.runs.set(handle, { experimentId, dir, meta, pending: new Map() });
    const tags: Record<string, string> = {
      "mlflow.runName": options.name,
      "mlflow.user": this.user,
      "mlflow.source.type": "LOCAL",
      "mlflow.source.name": sourceName(),
      ...options.tags,
    };
    if (options.parent?.id) tags["mlflow.parentRunId"] = options.parent.id;
    this.setTags(handle, tags);
    return handle;
  }

  logMetric(run: RunHandle, m: MetricRecord): void {
    const state = this.state(run);
    const line = `${Math.round(m.timestamp)} ${pythonFloat(m.value)} ${m.step}\n`;
    state.pending.set(m.key, (state.pending.get(m.key) ?? "") + line);
  }

  logParams(run: RunHandle, params: Record<string, string>): void {
    const state = this.state(run);
    for (const [key, value] of Object.entries(params)) this.writeFile(path.join(state.dir, "params", key), value);
  }

  setTags(run: RunHandle, tags: Record<string, string>): void {
    const state = this.state(run);
    for (const [key, value] of Object.entries(tags)) this.writeFile(path.join(state.dir, "tags", key), value);
  }

  /** Copies the file (or folder) into `<run>/artifacts/<name>`, where MLflow lists it. */
  logArtifact(run: RunHandle, localPath: string): void {
    const state = this.state(run);
    const target = path.join(state.dir, "artifacts", path.basename(localPath));
    try {
      fs.cpSync(localPath, target, { recursive: true, force: true });
    } catch (error) {
      throw new Error(
        `MLflowTracker cannot copy the artifact ${localPath} to ${target}: ${(error as Error).message}.`,
        { cause: error },
      );
    }
  }

  endRun(run: RunHandle, status: MlflowRunStatusName, endTime: number): void {
    const state = this.state(run);
    this.flushRun(state);
    state.meta.status = MlflowRunStatus[status];
    state.meta.end_time = endTime;
    this.writeFile(path.join(state.dir, "meta.yaml"), dumpMetaYaml(state.meta));
  }

  push(): void {
    this.flush();
  }

  flush(): void {
    let first: unknown;
    for (const state of this.runs.values()) {
      try {
        this.flushRun(state);
      } catch (error) {
        first ??= error;
      }
    }
    if (first) throw first;
  }

  close(): void {
    this.flush();
  }

  private flushRun(state: RunState): void {
    if (state.pending.size === 0) return;
    const pending = [...state.pending];
    state.pending.clear();
    for (const [key, lines] of pending) {
      const file = path.join(state.dir, "metrics", key);
      try {
        fs.appendFileSync(file, lines);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw this.writeError(file, error);
        try {
          fs.mkdirSync(path.dirname(file), { recursive: true }); // keys with '/' nest folders
          fs.appendFileSync(file, lines);
        } catch (again) {
          throw this.writeError(file, again);
        }
      }
    }
  }

  private state(run: RunHandle): RunState {
    const state = this.runs.get(run);
    if (!state) throw new Error(`MLflowTracker: run '${run.name}' was never created in ${this.root}.`);
    return state;
  }

  private findExperiment(name: string): string | undefined {
    for (const entry of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === TRASH || entry.name === "models") continue;
      try {
        const meta = parseMetaYaml(fs.readFileSync(path.join(this.root, entry.name, "meta.yaml"), "utf8"));
        if (meta.name === name && meta.lifecycle_stage !== "deleted") return String(meta.experiment_id);
      } catch {
        /* not an experiment folder */
      }
    }
    for (const entry of safeReaddir(path.join(this.root, TRASH))) {
      try {
        const meta = parseMetaYaml(fs.readFileSync(path.join(this.root, TRASH, entry, "meta.yaml"), "utf8"));
        if (meta.name === name) {
          throw new Error(
            `MLflowTracker: the experiment '${name}' exists in deleted state in ${this.root}. Restore it (mlflow experiments restore) or remove it from .trash, or choose another name.`,
          );
        }
      } catch (error) {
        if ((error as Error).message.startsWith("MLflowTracker")) throw error;
      }
    }
    return undefined;
  }

  private writeExperiment(id: string, name: string): void {
    const now = Date.now();
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir, { recursive: true });
    this.writeFile(
      path.join(dir, "meta.yaml"),
      dumpMetaYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: "active",
        name,
      }),
    );
  }

  private writeFile(file: string, text: string): void {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    } catch (error) {
      throw this.writeError(file, error);
    }
  }

  private writeError(file: string, error: unknown): Error {
    return new Error(
      `MLflowTracker cannot write ${file}: ${(error as Error).message}. Make the folder writable (or free disk space).`,
    );
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** `getpass.getuser()`, as MLflow fills `user_id`. */
export function currentUser(): string {
  try {
    return process.env.LOGNAME || process.env.USER || os.userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/** What MLflow puts in `mlflow.source.name`: the entry script. */
export function sourceName(): string {
  return process.argv[1] ? path.resolve(process.argv[1]) : "expman";
}
