import * as fs from "node:fs";
import * as path from "node:path";
import { encodeNumber } from "../../../common/non-finite";
import type { ExperimentHandle, MetricRecord, MlflowBackend, RunHandle } from "./backend";
import { currentUser, sourceName } from "./file-store";
import type { MlflowRunStatusName } from "./mlflow-format";

/** MLflow's log-batch limits (REST API reference, "Log Batch"). */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

/** Also send once this many metrics wait, so a long epoch does not hold them all in memory. */
const AUTO_SEND_METRICS = 5000;
const RETRIES = [250, 1000];
/** After a call fails for want of a server, later calls fail at once for this long. */
const UNREACHABLE_PAUSE_MS = 30_000;
/** Failures logged one by one before they are only counted. */
const LOGGED_FAILURES = 3;
const TIMEOUT_MS = 30_000;

interface RunBuffer {
  metrics: MetricRecord[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

interface Entry {
  key: string;
  value: string;
}

/**
 * Talks to an MLflow tracking server through its REST API 2.0 (`/api/2.0/mlflow/...`):
 * `experiments/get-by-name` then `experiments/create`, `runs/create`, `runs/log-batch` (metrics,
 * params and tags batched within MLflow's limits) and `runs/update` at run end.
 *
 * Tracker hooks are synchronous and the network is not: calls are queued and sent in order, so
 * a run is created before its metrics are sent. `flush()` resolves when the queue is empty and
 * rejects with what failed since the last flush (each failure is also logged once).
 * Authentication as MLflow's own client reads it: MLFLOW_TRACKING_TOKEN (Bearer) or
 * MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (Basic).
 */
export class MlflowRestStore implements MlflowBackend {
  private readonly base: string;
  private queue: Promise<void> = Promise.resolve();
  private readonly buffers = new Map<RunHandle, RunBuffer>();
  private readonly experiments = new Map<string, ExperimentHandle>();
  private errors: string[] = [];
  private failureCount = 0;
  private unreachableUntil = 0;
  private readonly headers: Record<string, string>;
  private readonly user = currentUser();

  constructor(
    trackingUri: string,
    private readonly warn: (message: string) => void,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.base = trackingUri.replace(/\/+$/, "");
    this.headers = { "Content-Type": "application/json" };
    if (env.MLFLOW_TRACKING_TOKEN) this.headers.Authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
    else if (env.MLFLOW_TRACKING_USERNAME) {
      const basic = Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ""}`).toString(
        "base64",
      );
      this.headers.Authorization = `Basic ${basic}`;
    }
  }

  get location(): string {
    return this.base;
  }

  experiment(name: string, description?: string): ExperimentHandle {
    const known = this.experiments.get(name);
    if (known) return known;
    const handle: ExperimentHandle = { name };
    this.experiments.set(name, handle);
    this.enqueue(`find or create experiment '${name}'`, async () => {
      handle.id = await this.findExperiment(name);
      if (handle.id === undefined) {
        const tags = description ? [{ key: "mlflow.note.content", value: description }] : undefined;
        const created = await this.call<{ experiment_id?: string }>("POST", "experiments/create", { name, tags }, [
          "RESOURCE_ALREADY_EXISTS",
        ]);
        handle.id = created ? String(created.experiment_id) : await this.findExperiment(name);
      } else if (description) {
        await this.call("POST", "experiments/set-experiment-tag", {
          experiment_id: handle.id,
          key: "mlflow.note.content",
          value: description,
        });
      }
    });
    return handle;
  }

  createRun(
    experiment: ExperimentHandle,
    options: { name: string; startTime: number; parent?: RunHandle; tags: Record<string, string> },
  ): RunHandle {
    const run: RunHandle = { name: options.name };
    this.buffers.set(run, { metrics: [], params: [], tags: [] });
    this.enqueue(`create run '${options.name}'`, async () => {
      if (experiment.id === undefined) throw new Error(`experiment '${experiment.name}' could not be found or created`);
      const tags: Record<string, string> = {
        "mlflow.user": this.user,
        "mlflow.source.type": "LOCAL",
        "mlflow.source.name": sourceName(),
        ...options.tags,
      };
      if (options.parent) {
        if (options.parent.id === undefined) throw new Error(`parent run '${options.parent.name}' was not created`);
        tags["mlflow.parentRunId"] = options.parent.id;
      }
      const body = {
        experiment_id: experiment.id,
        user_id: this.user,
        run_name: options.name,
        start_time: options.startTime,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      };
      const response = await this.call<{
        run?: { info?: { run_id?: string; run_uuid?: string; artifact_uri?: string } };
      }>("POST", "runs/create", body);
      const id = response?.run?.info?.run_id ?? response?.run?.info?.run_uuid;
      if (typeof id !== "string")
        throw new Error(`runs/create answered without run.info.run_id: ${JSON.stringify(response).slice(0, 200)}`);
      run.id = id;
      const artifactUri = response?.run?.info?.artifact_uri;
      if (typeof artifactUri === "string") run.artifactUri = artifactUri;
    });
    return run;
  }

  logMetric(run: RunHandle, metric: MetricRecord): void {
    const buffer = this.buffer(run);
    buffer.metrics.push(metric);
    if (buffer.metrics.length >= AUTO_SEND_METRICS) this.send(run, buffer);
  }

  logParams(run: RunHandle, params: Record<string, string>): void {
    const buffer = this.buffer(run);
    for (const [key, value] of Object.entries(params)) buffer.params.push({ key, value });
  }

  setTags(run: RunHandle, tags: Record<string, string>): void {
    const buffer = this.buffer(run);
    for (const [key, value] of Object.entries(tags)) buffer.tags.push({ key, value });
  }

  endRun(run: RunHandle, status: MlflowRunStatusName, endTime: number): void {
    this.send(run, this.buffer(run));
    this.enqueue(`end run '${run.name}'`, async () => {
      if (run.id === undefined) throw new Error(`run '${run.name}' was not created`);
      await this.call("POST", "runs/update", { run_id: run.id, status, end_time: endTime });
    });
  }

  /**
   * Uploads the file (or each file of the folder) through the server's artifact proxy
   * (`mlflow server` serves artifacts by default: the run's artifact_uri is
   * `mlflow-artifacts:/...`), as MLflow's own client does. Files are read when their turn in
   * the queue comes.
   */
  logArtifact(run: RunHandle, localPath: string): void {
    this.send(run, this.buffer(run)); // metrics and tags first, in order
    for (const [file, relative] of filesOf(localPath)) {
      this.enqueue(`upload artifact ${relative} for run '${run.name}'`, async () => {
        if (run.id === undefined) throw new Error(`run '${run.name}' was not created`);
        const target = this.artifactUrl(run, relative);
        const body = await fs.promises.readFile(file);
        await this.request("PUT", target, body, { "Content-Type": "application/octet-stream" });
      });
    }
  }

  push(): void {
    for (const [run, buffer] of this.buffers) this.send(run, buffer);
  }

  async flush(): Promise<void> {
    this.push();
    await this.queue;
    if (this.failureCount > 0) {
      const errors = this.errors;
      const more = this.failureCount - errors.length;
      this.errors = [];
      this.failureCount = 0;
      throw new Error(
        `MLflowTracker could not write to ${this.base}: ${errors.join("; ")}${more > 0 ? ` (and ${more} more failed calls)` : ""}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }

  // ---- internals -----------------------------------------------------------------------------

  private buffer(run: RunHandle): RunBuffer {
    let buffer = this.buffers.get(run);
    if (!buffer) {
      buffer = { metrics: [], params: [], tags: [] };
      this.buffers.set(run, buffer);
    }
    return buffer;
  }

  /** Queues what the run has buffered as log-batch requests within MLflow's limits. */
  private send(run: RunHandle, buffer: RunBuffer): void {
    if (buffer.metrics.length === 0 && buffer.params.length === 0 && buffer.tags.length === 0) return;
    const metrics = buffer.metrics.splice(0);
    const params = buffer.params.splice(0);
    const tags = buffer.tags.splice(0);
    for (const batch of splitBatches(metrics, params, tags)) {
      this.enqueue(`log-batch for run '${run.name}'`, async () => {
        if (run.id === undefined) throw new Error(`run '${run.name}' was not created`);
        await this.call("POST", "runs/log-batch", {
          run_id: run.id,
          metrics: batch.metrics.map((m) => ({
            key: m.key,
            value: jsonNumber(m.value),
            timestamp: Math.round(m.timestamp),
            step: m.step,
          })),
          params: batch.params,
          tags: batch.tags,
        });
      });
    }
  }

  private enqueue(what: string, op: () => Promise<void>): void {
    this.queue = this.queue.then(op).catch((error: unknown) => {
      const message = `${what}: ${(error as Error).message}`;
      this.failureCount++;
      if (this.errors.length < LOGGED_FAILURES) this.errors.push(message);
      if (this.failureCount <= LOGGED_FAILURES) this.warn(`MLflowTracker (${this.base}): ${message}`);
      if (this.failureCount === LOGGED_FAILURES)
        this.warn(`MLflowTracker (${this.base}): further failures are counted, not logged.`);
    });
  }

  /** `mlflow-artifacts:[//host]/<path>` -> `<server>/api/2.0/mlflow-artifacts/artifacts/<path>/<relative>`. */
  private artifactUrl(run: RunHandle, relative: string): string {
    const uri = run.artifactUri ?? "";
    const m = /^mlflow-artifacts:(?:\/\/([^/]+))?(\/.*)?$/.exec(uri);
    if (!m) {
      throw new Error(
        `the server keeps run artifacts at '${uri}', which MLflowTracker cannot upload to; start the server with artifact serving (mlflow server --serve-artifacts, the default) so uploads go through it`,
      );
    }
    const base = m[1] ? `${new URL(this.base).protocol}//${m[1]}` : this.base;
    const parts = [...(m[2] ?? "").split("/"), ...relative.split(path.sep)].filter(Boolean).map(encodeURIComponent);
    return `${base}/api/2.0/mlflow-artifacts/artifacts/${parts.join("/")}`;
  }

  private async findExperiment(name: string): Promise<string | undefined> {
    const found = await this.call<{ experiment?: { experiment_id?: string } }>(
      "GET",
      `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      undefined,
      ["RESOURCE_DOES_NOT_EXIST"],
    );
    const id = found?.experiment?.experiment_id;
    return id === undefined ? undefined : String(id);
  }

  /**
   * One REST call, retried on network errors, 429 and 5xx. Error codes listed in `tolerated`
   * resolve to undefined instead of failing.
   */
  /**
   * One MLflow REST call; `T` is the part of the answer the caller reads (MLflow's documented
   * response), every field optional: the caller checks what it uses. Undefined when tolerated.
   */
  private async call<T>(
    method: "GET" | "POST",
    endpoint: string,
    body?: unknown,
    tolerated: string[] = [],
  ): Promise<T | undefined> {
    const url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    const answer = await this.request(
      method,
      url,
      body === undefined ? undefined : JSON.stringify(body),
      {},
      endpoint,
      tolerated,
    );
    return answer as T | undefined;
  }

  private async request(
    method: string,
    url: string,
    body: string | Buffer | undefined,
    headers: Record<string, string>,
    label = url,
    tolerated: string[] = [],
  ): Promise<unknown> {
    if (Date.now() < this.unreachableUntil) throw new Error(`skipped: ${this.base} was unreachable moments ago`);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { ...this.headers, ...headers },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (error) {
        if (attempt < RETRIES.length) {
          await delay(RETRIES[attempt]);
          continue;
        }
        // Do not make a finished run wait 1.25 s per queued call on a server that is gone.
        this.unreachableUntil = Date.now() + UNREACHABLE_PAUSE_MS;
        throw new Error(`${method} ${url} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.text();
      if (response.ok) return text ? JSON.parse(text) : {};
      if ((response.status === 429 || response.status >= 500) && attempt < RETRIES.length) {
        await delay(RETRIES[attempt]);
        continue;
      }
      let code = "";
      try {
        code = JSON.parse(text).error_code ?? "";
      } catch {
        /* not JSON */
      }
      if (tolerated.includes(code)) return undefined;
      throw new Error(`${method} ${label} answered ${response.status}${code ? ` ${code}` : ""}: ${text.slice(0, 300)}`);
    }
  }
}

/** The files to upload for an artifact path: itself, or every file under it (relative names keep the folder's name). */
function filesOf(localPath: string): [file: string, relative: string][] {
  const name = path.basename(localPath);
  const stat = fs.statSync(localPath);
  if (!stat.isDirectory()) return [[localPath, name]];
  return (fs.readdirSync(localPath, { recursive: true }) as string[])
    .filter((rel) => fs.statSync(path.join(localPath, rel)).isFile())
    .sort()
    .map((rel) => [path.join(localPath, rel), path.join(name, rel)]);
}

/** NaN and ±Infinity as proto3 JSON spells them, which MLflow parses: our encodeNumber's names. */
const jsonNumber = encodeNumber;

/** Splits buffered entries into log-batch bodies within MLflow's per-request limits. */
export function splitBatches(
  metrics: MetricRecord[],
  params: Entry[],
  tags: Entry[],
): { metrics: MetricRecord[]; params: Entry[]; tags: Entry[] }[] {
  const batches: { metrics: MetricRecord[]; params: Entry[]; tags: Entry[] }[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const ps = params.slice(p, p + BATCH_LIMITS.params);
    const ts = tags.slice(t, t + BATCH_LIMITS.tags);
    const room = BATCH_LIMITS.total - ps.length - ts.length;
    const ms = metrics.slice(m, m + Math.min(room, BATCH_LIMITS.metrics));
    batches.push({ metrics: ms, params: ps, tags: ts });
    m += ms.length;
    p += ps.length;
    t += ts.length;
  }
  return batches;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
