/**
 * Extension benchmark: prints
 *  1. extension activation time, the tree filled from cold services (as after a window reload)
 *     and Run to its row in the tree: from the last real-editor rig run (test/artifacts/
 *     extension-timings.json, written by the trusted suites), plus the time to load the client
 *     bundle here (module evaluation, the bulk of activation; `vscode` stubbed for the load only);
 *  2. time from the Run command to the first epoch event on the demo (examples/configs/iris):
 *     the same steps the command takes (Node check, `expman validate`, spawn `expman run`,
 *     read events on fd 3), split by phase;
 *  3. time to populate the tree for a database with 1,000 runs (10 trials x 100 runs, 5 epochs
 *     each): experiments, trials, all 1,000 run items with labels, descriptions and tooltips,
 *     through a real `expman serve`, cold (service started) and warm. Target: under 500 ms;
 *  4. the tree's roots over 15 experiment folders, each with its database, from a cold
 *     `expman serve` (after a reload; target: the tree filled under 1 s).
 *
 *   node build.mjs runtime client --no-runtime && npx tsx test/bench/client.ts
 * Prints figures; asserts nothing.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../../runtime/src/common/enums";
import { TrackerManager } from "../../runtime/src/tracking/tracker-manager";
import { DBTracker } from "../../runtime/src/tracking/db/db-tracker";
import { QueryClient } from "../../client/src/core/query-client";
import { RunProcess } from "../../client/src/core/run-process";
import { checkNode } from "../../client/src/core/runtime-locator";
import { TreeModel, type TreeNode } from "../../client/src/core/tree-model";
import { validateConfigDir } from "../../client/src/core/validate-config";
import { repoRoot, repoRuntime } from "../../client/test/helpers";

const root = repoRoot;
const runtime = repoRuntime;
const node = process.execPath;
const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (ms: number) => `${ms.toFixed(1)} ms`;

function activation(): void {
  console.log("1. Extension activation");
  const timings = path.join(root, "test", "artifacts", "extension-timings.json");
  if (fs.existsSync(timings)) {
    const t = JSON.parse(fs.readFileSync(timings, "utf8")) as Record<string, number>;
    console.log(`   activate() in the real editor (code-server 1.100.3, last rig run): ${f(t.activationMs)}`);
    if (t.runCommandToFirstEpochMs)
      console.log(
        `   Run command to first epoch in the real editor (fixture 'quick'):      ${f(t.runCommandToFirstEpochMs)}`,
      );
    if (t.treeColdFillMs)
      console.log(
        `   tree filled from cold services (as after a reload; target < 1 s):     ${f(t.treeColdFillMs)} first, ${f(t.treeColdFillMedianMs)} median of 3`,
      );
    if (t.runToRowMs)
      console.log(
        `   Run command to its row in the tree (target < 500 ms):                 ${f(t.runToRowMs)} ("starting…"), ${f(t.runToDatabaseRowMs)} to the database's experiment row`,
      );
    if (t.loadAverage1m !== undefined)
      console.log(`   (load average during that rig run: ${t.loadAverage1m.toFixed(2)})`);
  } else {
    console.log("   (no rig figures yet: run `bash test/integration/run.sh` for activate() in a real editor)");
  }
  const bundle = path.join(root, "client", "out", "extension.js");
  if (!fs.existsSync(bundle)) {
    console.log("   (client/out/extension.js missing: node build.mjs client --no-runtime)");
    return;
  }
  // Stub `vscode` for the load only: evaluation of the bundle is measured, not activate().
  const load = (Module as unknown as { _load: (r: string, p: unknown, m: boolean) => unknown })._load;
  (Module as unknown as { _load: unknown })._load = (request: string, parent: unknown, isMain: boolean) =>
    request === "vscode" ? new Proxy({}, { get: () => class {} }) : load(request, parent, isMain);
  const t0 = now();
  require(bundle);
  console.log(
    `   load + evaluate client bundle (${(fs.statSync(bundle).size / 1e6).toFixed(2)} MB), cold: ${f(now() - t0)}`,
  );
  (Module as unknown as { _load: unknown })._load = load;
}

async function runToFirstEpoch(): Promise<void> {
  console.log("\n2. Run command to first epoch event (demo: examples/configs/iris)");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bench-run-"));
  fs.cpSync(path.join(root, "examples", "configs"), path.join(tmp, "configs"), { recursive: true });
  fs.cpSync(path.join(root, "examples", "pipelines"), path.join(tmp, "pipelines"), { recursive: true });
  const configDir = path.join(tmp, "configs", "iris");
  const rows: { check: number; validate: number; spawnToEpoch: number; total: number }[] = [];
  for (let i = 0; i < 3; i++) {
    fs.rmSync(path.join(tmp, "workspace"), { recursive: true, force: true });
    const t0 = now();
    await checkNode(node);
    const t1 = now();
    const v = await validateConfigDir(node, runtime, configDir);
    if (!v.ok) throw new Error(v.errors.join("\n"));
    const t2 = now();
    let firstEpoch = 0;
    const p = new RunProcess(
      { node, runtime, configDir },
      {
        event: (e) => {
          if (!firstEpoch && e.kind === "progress" && e.epoch !== null) {
            firstEpoch = now();
            p.stop(); // one epoch is all this measures
          }
        },
      },
    );
    p.start();
    await p.done;
    rows.push({ check: t1 - t0, validate: t2 - t1, spawnToEpoch: firstEpoch - t2, total: firstEpoch - t0 });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`   median of ${rows.length}: total ${f(median(rows.map((r) => r.total)))}`);
  console.log(
    `     node --version check ${f(median(rows.map((r) => r.check)))}, expman validate ${f(median(rows.map((r) => r.validate)))}, spawn expman run to first epoch event ${f(median(rows.map((r) => r.spawnToEpoch)))}`,
  );
}

async function makeDb(dir: string, size = { trials: 10, runs: 100 }): Promise<string> {
  const manager = new TrackerManager(dir);
  const tracker = new DBTracker(dir, { name: "bench.db", recreate: true });
  manager.addTracker(tracker, "DBTracker");
  manager.onCreate(Level.EXPERIMENT, { name: "thousand-runs", description: `${size.trials * size.runs} runs` });
  manager.onStart(Level.EXPERIMENT);
  for (let t = 0; t < size.trials; t++) {
    const trial = manager.createChild(path.join(dir, `trial${t}`));
    trial.onCreate(Level.TRIAL, `trial${t}`);
    trial.onStart(Level.TRIAL);
    for (let r = 0; r < size.runs; r++) {
      const run = trial.createChild(path.join(dir, `trial${t}`, `trial${t}-${r}`));
      run.onCreate(Level.TRIAL_RUN, { repeat: r, seed: r });
      run.onStart(Level.TRIAL_RUN);
      run.logParams({ lr: 0.01 * (t + 1), repeat: r });
      for (let e = 0; e < 5; e++) {
        run.onCreate(Level.EPOCH, e);
        run.onStart(Level.EPOCH, e);
        run.trackDict({ [Metric.TRAIN_LOSS]: 1 / (e + 1 + r), [Metric.VAL_ACC]: e / 5 });
        run.onEnd(Level.EPOCH);
      }
      run.track(Metric.TEST_ACC, 0.5 + r / 200);
      run.onEnd(Level.TRIAL_RUN, { status: r % 17 === 0 ? RunStatus.FAILED : RunStatus.SUCCESS });
    }
    trial.onEnd(Level.TRIAL);
  }
  manager.onEnd(Level.EXPERIMENT);
  await manager.close();
  return tracker.path;
}

async function populate(model: TreeModel, db: string): Promise<number> {
  const [exp] = await model.roots([db]);
  model.present(exp);
  const trials = await model.children(exp);
  const runs = (await Promise.all(trials.map((t) => model.children(t)))).flat();
  let chars = 0;
  for (const n of [...trials, ...runs] as TreeNode[]) {
    const p = model.present(n);
    chars += p.label.length + (p.description?.length ?? 0) + p.tooltip.length;
  }
  if (runs.length !== 1000) throw new Error(`expected 1,000 runs, got ${runs.length}`);
  return chars;
}

async function tree(): Promise<void> {
  console.log("\n3. Tree for a database with 1,000 runs (10 trials x 100 runs, 5 epochs each)");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bench-tree-"));
  const t0 = now();
  const db = await makeDb(tmp);
  console.log(`   (database written in ${f(now() - t0)}, ${(fs.statSync(db).size / 1e6).toFixed(1)} MB)`);
  const client = new QueryClient({ node, runtime });
  const query = client.request.bind(client) as ConstructorParameters<typeof TreeModel>[0];
  const c0 = now();
  await populate(new TreeModel(query), db);
  const cold = now() - c0;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const w0 = now();
    await populate(new TreeModel(query), db);
    warm.push(now() - w0);
  }
  client.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`   cold (starts expman serve, opens the file): ${f(cold)}`);
  console.log(`   warm (refresh, service running), median of 5: ${f(median(warm))}   target < 500 ms`);
}

/**
 * The tree's roots over a workspace of experiment folders, each with its database (the default
 * layout): what the view waits for after a window reload, from a cold `expman serve`.
 */
async function manyFolders(): Promise<void> {
  const FOLDERS = 15;
  console.log(`\n4. Tree roots over ${FOLDERS} experiment folders (a database each), cold service`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bench-folders-"));
  const dbs: string[] = [];
  for (let i = 0; i < FOLDERS; i++) dbs.push(await makeDb(path.join(tmp, `exp${i}`), { trials: 2, runs: 3 }));
  const cold: number[] = [];
  let warm = 0;
  for (let i = 0; i < 3; i++) {
    const client = new QueryClient({ node, runtime });
    const query = client.request.bind(client) as ConstructorParameters<typeof TreeModel>[0];
    const c0 = now();
    const roots = await new TreeModel(query).roots(dbs);
    cold.push(now() - c0);
    if (roots.length !== FOLDERS) throw new Error(`expected ${FOLDERS} roots, got ${roots.length}`);
    const w0 = now();
    await new TreeModel(query).roots(dbs);
    warm = now() - w0;
    client.dispose();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(
    `   cold (starts expman serve, opens ${FOLDERS} files): ${f(cold[0])} first, ${f(median(cold))} median of 3   target < 1 s`,
  );
  console.log(`   warm (service running): ${f(warm)}`);
}

async function main(): Promise<void> {
  console.log(
    `Extension benchmark, Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
  );
  activation();
  await runToFirstEpoch();
  await tree();
  await manyFolders();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
