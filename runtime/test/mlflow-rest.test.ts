/**
 * MLflowTracker against a tracking server: a small HTTP server on 127.0.0.1 that plays MLflow's
 * REST API 2.0 and rejects any request that does not match the API reference (method, path,
 * content type, field names and types, log-batch limits).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { MLflowTracker } from "../src/tracking/plugins/mlflow/mlflow-tracker";
import { BATCH_LIMITS, splitBatches } from "../src/tracking/plugins/mlflow/rest-store";
import { tempDirs } from "./helpers/env";

type Json = Record<string, unknown>;
interface Recorded {
  method: string;
  endpoint: string;
  body: Json;
}

const isStr = (v: unknown) => typeof v === "string";
const isInt = (v: unknown) => typeof v === "number" && Number.isInteger(v);
const isKv = (v: unknown) =>
  Array.isArray(v) && v.every((e) => e && isStr(e.key) && isStr(e.value) && Object.keys(e).length === 2);
const STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

/** Request schemas from the MLflow REST API reference (only fields the reference defines). */
const SCHEMAS: Record<string, { method: string; fields: Record<string, (v: unknown) => boolean>; required: string[] }> =
  {
    "experiments/create": {
      method: "POST",
      fields: { name: isStr, artifact_location: isStr, tags: isKv },
      required: ["name"],
    },
    "experiments/set-experiment-tag": {
      method: "POST",
      fields: { experiment_id: isStr, key: isStr, value: isStr },
      required: ["experiment_id", "key", "value"],
    },
    "runs/create": {
      method: "POST",
      fields: { experiment_id: isStr, user_id: isStr, run_name: isStr, start_time: isInt, tags: isKv },
      required: ["experiment_id"],
    },
    "runs/log-batch": {
      method: "POST",
      fields: {
        run_id: isStr,
        metrics: (v) =>
          Array.isArray(v) &&
          v.every(
            (m) =>
              isStr(m.key) &&
              (typeof m.value === "number" || ["NaN", "Infinity", "-Infinity"].includes(m.value)) &&
              isInt(m.timestamp) &&
              isInt(m.step) &&
              Object.keys(m).every((k) => ["key", "value", "timestamp", "step"].includes(k)),
          ),
        params: isKv,
        tags: isKv,
      },
      required: ["run_id"],
    },
    "runs/update": {
      method: "POST",
      fields: { run_id: isStr, status: (v) => STATUSES.includes(v as string), end_time: isInt, run_name: isStr },
      required: ["run_id"],
    },
  };

class FakeMlflowServer {
  readonly requests: Recorded[] = [];
  readonly violations: string[] = [];
  readonly experiments = new Map<string, string>();
  readonly runs = new Map<
    string,
    {
      experiment_id: string;
      tags: Record<string, string>;
      params: Record<string, string>;
      metrics: Json[];
      status: string;
      run_name?: string;
      end_time?: number;
    }
  >();
  failNext = 0;
  private server = http.createServer((req, res) => this.handle(req, res));
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private reply(res: http.ServerResponse, status: number, body: Json) {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url!, this.url);
      const prefix = "/api/2.0/mlflow/";
      if (!url.pathname.startsWith(prefix)) return this.bad(res, `path ${url.pathname} is not under ${prefix}`);
      const endpoint = url.pathname.slice(prefix.length);
      if (this.failNext > 0) {
        this.failNext--;
        return this.reply(res, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "try again" });
      }
      if (endpoint === "experiments/get-by-name") {
        if (req.method !== "GET") return this.bad(res, "get-by-name is a GET");
        const name = url.searchParams.get("experiment_name");
        if (!name) return this.bad(res, "get-by-name needs experiment_name");
        this.requests.push({ method: "GET", endpoint, body: { experiment_name: name } });
        const id = this.experiments.get(name);
        if (!id)
          return this.reply(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No experiment '${name}'` });
        return this.reply(res, 200, { experiment: { experiment_id: id, name, lifecycle_stage: "active" } });
      }
      const schema = SCHEMAS[endpoint];
      if (!schema) return this.bad(res, `unknown endpoint ${endpoint}`);
      if (req.method !== schema.method) return this.bad(res, `${endpoint} is a ${schema.method}`);
      if (!String(req.headers["content-type"]).startsWith("application/json"))
        return this.bad(res, "content type must be application/json");
      let body: Json;
      try {
        body = JSON.parse(raw);
      } catch {
        return this.bad(res, "body is not JSON");
      }
      for (const [k, v] of Object.entries(body)) {
        if (v === undefined) continue;
        if (!schema.fields[k]) return this.bad(res, `${endpoint}: unknown field ${k}`);
        if (!schema.fields[k](v)) return this.bad(res, `${endpoint}: bad ${k} = ${JSON.stringify(v).slice(0, 200)}`);
      }
      for (const k of schema.required) if (body[k] === undefined) return this.bad(res, `${endpoint}: missing ${k}`);
      this.requests.push({ method: req.method!, endpoint, body });
      switch (endpoint) {
        case "experiments/create": {
          if (this.experiments.has(body.name as string))
            return this.reply(res, 400, { error_code: "RESOURCE_ALREADY_EXISTS" });
          const id = String(100 + this.experiments.size);
          this.experiments.set(body.name as string, id);
          return this.reply(res, 200, { experiment_id: id });
        }
        case "experiments/set-experiment-tag":
          return this.reply(res, 200, {});
        case "runs/create": {
          if (![...this.experiments.values()].includes(body.experiment_id as string))
            return this.reply(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST" });
          const id = `run${this.runs.size}`.padEnd(32, "0");
          const tags = Object.fromEntries((body.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
          if (body.run_name) tags["mlflow.runName"] = body.run_name as string;
          this.runs.set(id, {
            experiment_id: body.experiment_id as string,
            tags,
            params: {},
            metrics: [],
            status: "RUNNING",
            run_name: body.run_name as string,
          });
          return this.reply(res, 200, {
            run: { info: { run_id: id, run_uuid: id, experiment_id: body.experiment_id, status: "RUNNING" }, data: {} },
          });
        }
        case "runs/log-batch": {
          const run = this.runs.get(body.run_id as string);
          if (!run) return this.reply(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST" });
          const metrics = (body.metrics as Json[]) ?? [];
          const params = (body.params as Json[]) ?? [];
          const tags = (body.tags as Json[]) ?? [];
          if (
            metrics.length > BATCH_LIMITS.metrics ||
            params.length > BATCH_LIMITS.params ||
            tags.length > BATCH_LIMITS.tags ||
            metrics.length + params.length + tags.length > BATCH_LIMITS.total
          ) {
            return this.bad(res, "log-batch over MLflow's limits");
          }
          run.metrics.push(...metrics);
          for (const p of params) run.params[p.key as string] = p.value as string;
          for (const t of tags) run.tags[t.key as string] = t.value as string;
          return this.reply(res, 200, {});
        }
        case "runs/update": {
          const run = this.runs.get(body.run_id as string);
          if (!run) return this.reply(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST" });
          run.status = body.status as string;
          run.end_time = body.end_time as number;
          return this.reply(res, 200, { run_info: { run_id: body.run_id, status: run.status } });
        }
      }
    });
  }

  private bad(res: http.ServerResponse, why: string) {
    this.violations.push(why);
    this.reply(res, 400, { error_code: "INVALID_PARAMETER_VALUE", message: why });
  }
}

const tmp = tempDirs("mlflow-rest-");

function runExperiment(manager: TrackerManager, ws: string, batches = 3) {
  manager.onCreate(Level.EXPERIMENT, { name: "exp", description: "about" });
  manager.onStart(Level.EXPERIMENT);
  const trial = manager.createChild(path.join(ws, "trial_a"));
  trial.onCreate(Level.TRIAL, "trial_a");
  trial.onStart(Level.TRIAL);
  for (let i = 0; i < 2; i++) {
    const run = trial.createChild(path.join(ws, "trial_a", `trial_a-${i}`));
    run.onCreate(Level.TRIAL_RUN, { repeat: i, seed: i });
    run.onStart(Level.TRIAL_RUN);
    run.logParams({ lr: 0.01 });
    for (let e = 0; e < 2; e++) {
      run.onStart(Level.EPOCH, e);
      for (let b = 0; b < batches; b++) {
        run.onStart(Level.BATCH, b);
        run.track(Metric.TRAIN_LOSS, b === 0 && e === 0 ? Number.NaN : 1 / (1 + b));
        run.onEnd(Level.BATCH);
      }
      run.trackDict({ [Metric.VAL_ACC]: 0.5, [Metric.CUSTOM]: [["a/b c", e]] });
      run.onEnd(Level.EPOCH);
    }
    run.track(Metric.TEST_ACC, 0.8);
    run.onEnd(Level.TRIAL_RUN, {
      status: i === 0 ? RunStatus.SUCCESS : RunStatus.FAILED,
      error: i === 0 ? undefined : { message: "boom" },
    });
  }
  trial.onEnd(Level.TRIAL, { status: RunStatus.SUCCESS });
  manager.onEnd(Level.EXPERIMENT);
}

test("REST: experiment, nested runs, batched metrics with steps, params, tags and final status, all per the API reference", async () => {
  const server = await new FakeMlflowServer().start();
  try {
    const ws = tmp();
    const warnings: string[] = [];
    const manager = new TrackerManager(ws);
    manager.addTracker(
      new MLflowTracker(ws, { name: "remote exp", trackingUri: `${server.url}/`, warn: (m) => warnings.push(m) }),
      "MLflowTracker",
    );
    runExperiment(manager, ws, 700); // 1,400 batch points per run: more than one log-batch
    await manager.close();
    assert.deepEqual(server.violations, []);
    assert.deepEqual(warnings, []);
    assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));
    assert.equal(fs.existsSync(path.join(ws, "mlruns")), false, "no file store in REST mode");

    // Order: find experiment, create it, then runs (parent before children).
    assert.deepEqual(
      server.requests.slice(0, 2).map((r) => r.endpoint),
      ["experiments/get-by-name", "experiments/create"],
    );
    assert.deepEqual(server.requests[1].body, {
      name: "remote exp",
      tags: [{ key: "mlflow.note.content", value: "about" }],
    });
    const creates = server.requests.filter((r) => r.endpoint === "runs/create");
    assert.deepEqual(
      creates.map((r) => r.body.run_name),
      ["trial_a", "trial_a-0", "trial_a-1"],
    );
    assert.ok(creates.every((r) => r.body.experiment_id === "100" && isInt(r.body.start_time)));

    const [parentId, ...childIds] = [...server.runs.keys()];
    const parent = server.runs.get(parentId)!;
    assert.equal(parent.tags["mlflow.parentRunId"], undefined);
    assert.equal(parent.status, "FINISHED");
    const children = childIds.map((id) => server.runs.get(id)!);
    for (const c of children) {
      assert.equal(c.tags["mlflow.parentRunId"], parentId);
      assert.equal(c.tags["mlflow.runName"], c.run_name);
      assert.equal(c.tags["mlflow.source.type"], "LOCAL");
      assert.equal(c.params.lr, "0.01");
      const loss = c.metrics.filter((m) => m.key === "batch/train_loss");
      assert.equal(loss.length, 1400);
      assert.deepEqual(
        loss.map((m) => m.step),
        Array.from({ length: 1400 }, (_, i) => i),
        "global batch counter as step",
      );
      assert.equal(loss[0].value, "NaN");
      assert.deepEqual(
        c.metrics.filter((m) => m.key === "a/b c").map((m) => [m.step, m.value]),
        [
          [0, 0],
          [1, 1],
        ],
      );
      assert.deepEqual(
        c.metrics.filter((m) => m.key === "test_acc").map((m) => [m.step, m.value]),
        [[2, 0.8]],
      );
      assert.equal(c.metrics.filter((m) => m.key === "duration").length, 1);
      assert.ok(isInt(c.end_time));
    }
    assert.equal(children[0].status, "FINISHED");
    assert.equal(children[1].status, "FAILED");
    assert.equal(children[1].tags["expman.error"], "boom");
    assert.ok(server.requests.filter((r) => r.endpoint === "runs/log-batch").length >= 4);
  } finally {
    await server.stop();
  }
});

test("REST: an existing experiment is reused; a 503 is retried", async () => {
  const server = await new FakeMlflowServer().start();
  try {
    server.experiments.set("known", "7");
    server.experiments.set("x", "8");
    const ws = tmp();
    const manager = new TrackerManager(ws);
    manager.addTracker(new MLflowTracker(ws, { name: "known", trackingUri: server.url }));
    server.failNext = 1;
    runExperiment(manager, ws, 1);
    await manager.close();
    assert.deepEqual(server.violations, []);
    assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));
    assert.equal(
      server.requests.some((r) => r.endpoint === "experiments/create"),
      false,
    );
    assert.ok([...server.runs.values()].every((r) => r.experiment_id === "7"));
  } finally {
    await server.stop();
  }
});

test("REST: a server that is down gives a clear error from flush, and the run goes on", async () => {
  const server = await new FakeMlflowServer().start();
  const url = server.url;
  await server.stop(); // nothing listens there any more
  const ws = tmp();
  const reports: string[] = [];
  const warnings: string[] = [];
  const manager = new TrackerManager(ws, { report: (m) => reports.push(m) });
  manager.addTracker(
    new MLflowTracker(ws, { name: "gone", trackingUri: url, warn: (m) => warnings.push(m) }),
    "MLflowTracker",
  );
  runExperiment(manager, ws, 1);
  await manager.close();
  assert.equal(reports.length, 1, reports.join("\n"));
  assert.match(
    reports[0],
    new RegExp(`MLflowTracker could not write to ${url.replace(/[.]/g, "\\.")}: find or create experiment 'gone'`),
  );
  assert.ok(warnings.length >= 1);
});

test("splitBatches keeps every request within MLflow's log-batch limits", () => {
  const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: "m", value: i, timestamp: 1, step: i }));
  const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: "v" }));
  const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: "v" }));
  const batches = splitBatches(metrics, params, tags);
  for (const b of batches) {
    assert.ok(b.metrics.length <= 1000 && b.params.length <= 100 && b.tags.length <= 100);
    assert.ok(b.metrics.length + b.params.length + b.tags.length <= 1000);
  }
  assert.equal(
    batches.reduce((n, b) => n + b.metrics.length, 0),
    2500,
  );
  assert.equal(
    batches.reduce((n, b) => n + b.params.length, 0),
    150,
  );
  assert.equal(
    batches.reduce((n, b) => n + b.tags.length, 0),
    120,
  );
  assert.deepEqual(
    batches.flatMap((b) => b.metrics.map((m) => m.step)),
    metrics.map((m) => m.step),
    "order kept",
  );
});

test("REST: a server that goes away mid-run: failures are counted, logged a few times, and close does not hang on each call", async () => {
  const server = await new FakeMlflowServer().start();
  const ws = tmp();
  const reports: string[] = [];
  const warnings: string[] = [];
  const manager = new TrackerManager(ws, { report: (m) => reports.push(m) });
  manager.addTracker(
    new MLflowTracker(ws, { name: "flaky", trackingUri: server.url, warn: (m) => warnings.push(m) }),
    "MLflowTracker",
  );
  manager.onCreate(Level.EXPERIMENT, "flaky");
  const run = manager.createChild(path.join(ws, "t")).createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN);
  await manager.flush();
  assert.equal(server.runs.size, 1);
  await server.stop();
  for (let e = 0; e < 20; e++) {
    run.onStart(Level.EPOCH, e);
    run.track(Metric.TRAIN_LOSS, e);
    run.onEnd(Level.EPOCH); // each epoch end queues a log-batch
  }
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  await manager.close();
  assert.equal(reports.length, 1, reports.join("\n"));
  assert.match(reports[0], /MLflowTracker could not write to .*log-batch for run 't-0'.*more failed calls/);
  assert.equal(warnings.length, 4, warnings.join("\n")); // three failures, then "further failures are counted"
  assert.match(warnings[3], /further failures are counted/);
});

test("REST: a server without the artifact proxy: the upload fails with what to do, everything else is written", async () => {
  const server = await new FakeMlflowServer().start(); // answers runs/create without an mlflow-artifacts: URI
  try {
    const ws = tmp();
    const reports: string[] = [];
    const manager = new TrackerManager(ws, { report: (m) => reports.push(m) });
    manager.addTracker(
      new MLflowTracker(ws, { name: "no proxy", trackingUri: server.url, warn: () => {} }),
      "MLflowTracker",
    );
    manager.onCreate(Level.EXPERIMENT, "no proxy");
    const run = manager.createChild(path.join(ws, "t")).createChild(path.join(ws, "t", "t-0"));
    run.onCreate(Level.TRIAL_RUN);
    const file = path.join(ws, "metrics.log");
    fs.writeFileSync(file, "epoch,loss\n0,1\n");
    run.onAddArtifact(Level.TRIAL_RUN, file, "metrics");
    run.onStart(Level.EPOCH, 0);
    run.track(Metric.TRAIN_LOSS, 1);
    run.onEnd(Level.EPOCH);
    run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
    await manager.close();
    assert.equal(reports.length, 1, reports.join("\n"));
    assert.match(reports[0], /upload artifact metrics\.log for run 't-0'.*cannot upload to.*--serve-artifacts/);
    const [only] = server.runs.values();
    assert.equal(only.status, "FINISHED");
    assert.deepEqual(
      only.metrics.map((m) => m.key),
      ["train_loss", "duration"],
    );
  } finally {
    await server.stop();
  }
});
