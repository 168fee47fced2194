/**
 * Many runs at once (issue 10.1): wall time of 32 CPU-bound runs with `expman run --jobs 2`
 * against `--jobs 1` (both in worker processes, the same store), and the per-run overhead of
 * a worker: spawn to its first event. Prints figures and the load average; asserts nothing.
 *
 *   npm run build && npx tsx test/bench/scaleout.ts [runs=32] [epochs=4] [iterations=6e6]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Experiment } from "../../runtime/src/experiment/experiment";
import { LocalExecutor } from "../../runtime/src/executors/local";

const REPO = path.resolve(__dirname, "..", "..");
const EXPMAN = path.join(REPO, "runtime", "bin", "expman.js");
// The runtime package folder: required like a user pipeline requires @expman/runtime (its main).
const RUNTIME = path.join(REPO, "runtime");
const [runs = 32, epochs = 4, iterations = 6e6] = process.argv.slice(2).map(Number);

/** A pipeline whose epochs burn a fixed amount of CPU (not of time), so the work is constant. */
const PIPELINE = `const { Pipeline, Metric, register } = require(${JSON.stringify(RUNTIME)});
class Burn extends Pipeline {
  static fromConfig(config, env) { return new Burn(env); }
  async run(config) {
    for (let e = 0; e < config.pipeline.epochs; e++) await this.runEpoch(e, config.pipeline.iterations);
  }
  async runEpoch(e, n) {
    let x = this.env.seed;
    for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) % 2147483648;
    this.epochMetrics[Metric.TRAIN_LOSS] = x / 2147483648;
  }
}
Burn.prototype.run = Pipeline.runWrapper(Burn.prototype.run);
Burn.prototype.runEpoch = Pipeline.epochWrapper(Burn.prototype.runEpoch);
register("Burn")(Burn);
`;

function configDir(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bench-scaleout-"));
  const dir = path.join(root, "config");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "burn.js"), PIPELINE);
  fs.writeFileSync(
    path.join(dir, "env.yaml"),
    "workspace: ../ws\nimports:\n  - ./burn.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
  );
  fs.writeFileSync(path.join(dir, "experiment.yaml"), "name: burn\ndesc: CPU-bound runs for the scale-out bench\n");
  fs.writeFileSync(
    path.join(dir, "base.yaml"),
    `seed: 1\npipeline:\n  type: Burn\n  epochs: ${epochs}\n  iterations: ${iterations}\n`,
  );
  fs.writeFileSync(path.join(dir, "trials.yaml"), `- name: burn\n  repeat: ${runs}\n  settings: {}\n`);
  return dir;
}

function load(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

function timeRun(jobs: number): number {
  const dir = configDir();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [EXPMAN, "run", dir, "--jobs", String(jobs), "--quiet"], { encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`expman run --jobs ${jobs} failed (${r.status}): ${r.stderr}`);
  return ms;
}

async function overhead(samples: number): Promise<{ firsts: number[]; cpu: number[] }> {
  const dir = configDir();
  fs.writeFileSync(path.join(dir, "base.yaml"), `seed: 1\npipeline:\n  type: Burn\n  epochs: 1\n  iterations: 1000\n`);
  fs.writeFileSync(path.join(dir, "trials.yaml"), `- name: tiny\n  repeat: ${samples}\n  settings: {}\n`);
  const experiment = await Experiment.create(dir, {});
  const spawned = new Map<string, { t: number; pid: number }>();
  const firsts: number[] = [];
  const cpu: number[] = [];
  const executor = new LocalExecutor({
    jobs: 1,
    configDir: dir,
    experimentUid: experiment.uid,
    onStart: (run, pid) => spawned.set(run.uid, { t: performance.now(), pid }),
    onEvent: (_event, run) => {
      const start = spawned.get(run.uid);
      if (start !== undefined) {
        firsts.push(performance.now() - start.t);
        cpu.push(cpuMs(start.pid));
        spawned.delete(run.uid);
      }
    },
  });
  await executor.run(experiment.plan.runs);
  await experiment.env.trackerManager.close();
  return { firsts, cpu };
}

/**
 * CPU time (user + system) a process has used so far, from /proc (clock ticks of 10 ms): the
 * worker's start-up cost without the waiting a busy machine adds to its wall time.
 */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  console.log(
    `scale-out bench: ${runs} runs x ${epochs} epochs x ${iterations} LCG steps; ${os.cpus().length} CPUs; node ${process.version}`,
  );
  console.log(`load average before: ${load()}`);
  const one = timeRun(1);
  console.log(`--jobs 1: ${(one / 1000).toFixed(2)} s wall  (load ${load()})`);
  const two = timeRun(2);
  console.log(`--jobs 2: ${(two / 1000).toFixed(2)} s wall  (load ${load()})`);
  console.log(`speed-up --jobs 2 vs --jobs 1: ${(one / two).toFixed(2)}x (aim >= 1.8x on 2 idle cores)`);
  const { firsts, cpu } = await overhead(12);
  console.log(
    `worker overhead, spawn to first event: cold ${firsts[0].toFixed(0)} ms, median ${median(firsts).toFixed(0)} ms, min ${Math.min(...firsts).toFixed(0)} ms, max ${Math.max(...firsts).toFixed(0)} ms over ${firsts.length} workers (aim < 300 ms)`,
  );
  console.log(
    `worker CPU (user + system) until its first event: median ${median(cpu).toFixed(0)} ms, max ${Math.max(...cpu).toFixed(0)} ms (the start-up work itself, whatever the load)`,
  );
  console.log(`load average after: ${load()}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
