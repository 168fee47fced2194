import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { registerBuiltins } from "../src/builtins/register-builtins";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { ResultsStore } from "../src/results/store";
import { tempDir } from "./helpers/env";
import { freshPgStore } from "./helpers/pg";

/**
 * A writer whose PostgreSQL connection drops: a real TCP proxy (its own process, since the
 * writer's thread sleeps while it waits for the server) between the writer and the real server
 * is cut, then restored. Points tracked meanwhile stay buffered and reach the store after; a
 * connection that stays lost past the deadline fails the run naming the URL.
 */

registerBuiltins();

const PROXY = `
const net = require("node:net");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const sockets = new Set();
let server;
function up() {
  server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) { sockets.add(s); s.on("close", () => sockets.delete(s)); s.on("error", () => {}); }
    client.pipe(upstream).pipe(client);
  });
  server.listen(server_port || 0, "127.0.0.1", () => { server_port = server.address().port; console.log("up " + server_port); });
}
let server_port = 0;
up();
require("node:readline").createInterface({ input: process.stdin }).on("line", (l) => {
  if (l === "down") { server.close(); for (const s of sockets) s.destroy(); setTimeout(() => console.log("down"), 50); }
  if (l === "up") up();
});
`;

class Proxy {
  private readonly child: ChildProcess;
  private readonly lines: readline.Interface;
  port = 0;
  constructor(target: URL) {
    this.child = spawn(process.execPath, ["-e", PROXY, target.hostname, target.port || "5432"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.lines = readline.createInterface({ input: this.child.stdout! });
  }
  private next(prefix: string): Promise<string> {
    return new Promise((resolve) => {
      const on = (l: string) => {
        if (!l.startsWith(prefix)) return;
        this.lines.off("line", on);
        resolve(l);
      };
      this.lines.on("line", on);
    });
  }
  async start(): Promise<void> {
    this.port = Number((await this.next("up")).split(" ")[1]);
  }
  async down(): Promise<void> {
    const done = this.next("down");
    this.child.stdin!.write("down\n");
    await done;
  }
  async up(): Promise<void> {
    const done = this.next("up");
    this.child.stdin!.write("up\n");
    await done;
  }
  stop(): void {
    this.child.kill();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startRun(url: string, ws: string, lockTimeout: number) {
  const root = TrackerManager.fromConfig(
    { trackers: [{ type: "DBTracker", url, flush_interval: 0.05, lock_timeout: lockTimeout }] },
    ws,
  );
  root.onCreate(Level.EXPERIMENT, { name: "flaky network" });
  root.onStart(Level.EXPERIMENT);
  const trial = root.createChild(path.join(ws, "t"));
  trial.onCreate(Level.TRIAL, "t");
  trial.onStart(Level.TRIAL);
  const run = trial.createChild(path.join(ws, "t", "0"));
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  run.onStart(Level.TRIAL_RUN);
  let step = 0;
  const epoch = (e: number, n: number) => {
    run.onCreate(Level.EPOCH, { epochId: e });
    run.onStart(Level.EPOCH, { epochId: e });
    for (let b = 0; b < n; b++) {
      run.onCreate(Level.BATCH, { batchId: b });
      run.onStart(Level.BATCH, { batchId: b });
      run.trackDict({ [Metric.TRAIN_LOSS]: step++ });
      run.onEnd(Level.BATCH);
    }
    run.onEnd(Level.EPOCH);
  };
  return { root, trial, run, epoch };
}

test("a lost PostgreSQL connection: points tracked meanwhile are kept, retried with backoff, and flushed once it is back", async () => {
  const store = freshPgStore("net");
  const target = new URL(store.url);
  const proxy = new Proxy(target);
  try {
    await proxy.start();
    const viaProxy = new URL(store.url);
    viaProxy.port = String(proxy.port);
    const { root, trial, run, epoch } = startRun(viaProxy.toString(), tempDir("pg-net-"), 30);
    epoch(0, 2000);
    await proxy.down();
    // Training goes on while the server is unreachable: epochs end, flushes fail and retry.
    epoch(1, 2000);
    await sleep(300);
    epoch(2, 2000);
    const during = ResultsStore.open(store.url);
    try {
      const points = during.getSeries({ runId: during.listRuns()[0].id, key: Metric.TRAIN_LOSS }).totalPoints;
      assert.ok(points <= 2000, `only what was flushed before the cut is in the store (${points})`);
    } finally {
      during.close();
    }
    await proxy.up();
    await sleep(200);
    epoch(3, 2000);
    run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
    await run.close();
    trial.onEnd(Level.TRIAL);
    root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
    assert.deepEqual(root.failureSummary(), []);
    await root.close();
    const reader = ResultsStore.open(store.url);
    try {
      const [r] = reader.listRuns();
      assert.equal(r.status, "SUCCESS");
      const series = reader.getSeries({ runId: r.id, key: Metric.TRAIN_LOSS });
      assert.equal(series.totalPoints, 8000);
      assert.deepEqual(
        series.values,
        Array.from({ length: 8000 }, (_, i) => i),
      );
      assert.deepEqual(
        reader.listEpochs(r.id).map((e) => [e.status, e.batchCount]),
        Array(4).fill(["SUCCESS", 2000]),
      );
    } finally {
      reader.close();
    }
  } finally {
    proxy.stop();
    store.drop();
  }
});

test("a PostgreSQL connection lost for longer than lock_timeout fails the run, naming the URL (password masked)", async () => {
  const store = freshPgStore("netfail");
  const proxy = new Proxy(new URL(store.url));
  try {
    await proxy.start();
    const viaProxy = new URL(store.url);
    viaProxy.port = String(proxy.port);
    const { root, epoch } = startRun(viaProxy.toString(), tempDir("pg-netfail-"), 0.5);
    epoch(0, 100);
    await proxy.down();
    let failure: Error | undefined;
    for (let e = 1; e < 50 && !failure; e++) {
      try {
        epoch(e, 100);
      } catch (error) {
        failure = error as Error;
      }
      if (root.failureSummary().length > 0) break;
      await sleep(50);
    }
    const reported = failure?.message ?? root.failureSummary().join("\n");
    assert.match(reported, /PostgreSQL tracking store postgresql:\/\/expman_test:\*\*\*@127\.0\.0\.1:\d+\/expman_test/);
    assert.match(reported, /unreachable .* for \d+\.\d s/);
    assert.ok(!reported.includes("expman_test:expman_test@"));
    await root.close().catch(() => {});
  } finally {
    proxy.stop();
    store.drop();
  }
});
