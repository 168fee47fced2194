/**
 * PostgreSQL tracking store next to SQLite, same run, same machine (issue 10.3 benchmark):
 * - points/s of one writer (TrackerManager + DBTracker in this process);
 * - points/s of 8 concurrent writer processes into one store (each its own experiment);
 * - reading a 1,000,000-point series downsampled to 2,000 buckets (cold: a fresh reader's first
 *   query; warm: median of 5). Aim: PostgreSQL within 3x of SQLite.
 *
 *   npm run build && npx tsx test/bench/store-pg.ts [points=1000000]
 *
 * PostgreSQL comes from test/services/postgres.sh (EXPMAN_TEST_PG_URL overrides); each backend
 * gets a fresh store. The writer processes load the built runtime (runtime/dist). Prints
 * figures and the load average; asserts nothing.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../../runtime/src/common/enums";
import { registerBuiltins } from "../../runtime/src/builtins/register-builtins";
import { TrackerManager } from "../../runtime/src/tracking/tracker-manager";
import { ResultsStore } from "../../runtime/src/results/store";
import { freshPgStore } from "../../runtime/test/helpers/pg";

const POINTS = Number(process.argv[2] ?? 1_000_000);
const WRITERS = 8;
const RUNTIME_DIST = path.resolve(__dirname, "../../runtime/dist/index.js");

registerBuiltins();

interface Store {
  name: string;
  tracker: Record<string, unknown>;
  target: string;
  ws: string;
  dispose(): void;
}

function stores(): Store[] {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "bench-store-"));
  const pg = freshPgStore("bench");
  return [
    {
      name: "SQLite",
      tracker: { type: "DBTracker", name: "bench.db" },
      target: path.join(ws, "artifacts", "bench.db"),
      ws,
      dispose: () => fs.rmSync(ws, { recursive: true, force: true }),
    },
    {
      name: "PostgreSQL",
      tracker: { type: "DBTracker", url: pg.url },
      target: pg.url,
      ws: fs.mkdtempSync(path.join(os.tmpdir(), "bench-store-pg-")),
      dispose: pg.drop,
    },
  ];
}

/** One writer in this process: one run, `points` batch points of one key in 100 epochs; seconds. */
function writeOne(store: Store, points: number): number {
  const t0 = performance.now();
  const root = TrackerManager.fromConfig({ trackers: [store.tracker] }, store.ws);
  root.onCreate(Level.EXPERIMENT, { name: "bench-one" });
  root.onStart(Level.EXPERIMENT);
  const trial = root.createChild(path.join(store.ws, "t"));
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(path.join(store.ws, "t", "0"));
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  run.onStart(Level.TRIAL_RUN);
  const perEpoch = Math.ceil(points / 100);
  let step = 0;
  for (let e = 0; step < points; e++) {
    run.onStart(Level.EPOCH, { epochId: e });
    for (let b = 0; b < perEpoch && step < points; b++, step++) run.track(Metric.TRAIN_LOSS, Math.sin(step / 1000));
    run.onEnd(Level.EPOCH);
  }
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  trial.onEnd(Level.TRIAL);
  root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
  void root.close();
  return (performance.now() - t0) / 1000;
}

const CHILD = `
const rt = require(${JSON.stringify(RUNTIME_DIST)});
const { TrackerManager, Level, Metric, RunStatus } = rt;
const [tracker, ws, points] = [JSON.parse(process.argv[1]), process.argv[2], Number(process.argv[3])];
const start = Date.now();
const root = TrackerManager.fromConfig({ trackers: [tracker] }, ws);
root.onCreate(Level.EXPERIMENT, { name: "bench-many" });
root.onStart(Level.EXPERIMENT);
const run = root.createChild(ws + "/r");
run.onCreate(Level.TRIAL, "t");
run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
run.onStart(Level.TRIAL_RUN);
const perEpoch = Math.ceil(points / 20);
let step = 0;
for (let e = 0; step < points; e++) {
  run.onStart(Level.EPOCH, { epochId: e });
  for (let b = 0; b < perEpoch && step < points; b++, step++) run.track(Metric.TRAIN_LOSS, Math.sin(step / 1000));
  run.onEnd(Level.EPOCH);
}
run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
root.close().then(() => process.stdout.write(JSON.stringify({ start, end: Date.now() })));
`;

/** WRITERS processes at once, `points` each; aggregate points/s over the span they all tracked. */
async function writeMany(store: Store, points: number): Promise<{ rate: number; wall: number }> {
  const t0 = Date.now();
  const spans = await Promise.all(
    Array.from({ length: WRITERS }, (_, w) => {
      const child = spawn(
        process.execPath,
        ["-e", CHILD, JSON.stringify(store.tracker), path.join(store.ws, `w${w}`), String(points)],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      return new Promise<{ start: number; end: number }>((resolve, reject) =>
        child.on("exit", (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer ${w} exited ${code}`)),
        ),
      );
    }),
  );
  const span = Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
  return { rate: (WRITERS * points) / (span / 1000), wall: (Date.now() - t0) / 1000 };
}

function readDownsampled(store: Store): { cold: number; warm: number; points: number } {
  const reader = ResultsStore.open(store.target);
  try {
    const run = reader.listRuns().find((r) => r.experimentTitle === "bench-one")!;
    let t = performance.now();
    const first = reader.getSeries({ runId: run.id, key: Metric.TRAIN_LOSS, buckets: 2000 });
    const cold = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      reader.getSeries({ runId: run.id, key: Metric.TRAIN_LOSS, buckets: 2000 });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    if (first.totalPoints !== POINTS) throw new Error(`read ${first.totalPoints} points, wrote ${POINTS}`);
    return { cold, warm: times[2], points: first.totalPoints };
  } finally {
    reader.close();
  }
}

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  console.log(
    `store benchmark: ${fmt(POINTS)} points per writer, ${WRITERS} concurrent writers x ${fmt(POINTS / WRITERS)} points; ${os.cpus().length} CPUs, load ${load()}`,
  );
  const rows: string[][] = [];
  const reads: Record<string, number> = {};
  for (const store of stores()) {
    try {
      const one = writeOne(store, POINTS);
      const read = readDownsampled(store);
      const many = await writeMany(store, Math.round(POINTS / WRITERS));
      reads[store.name] = read.warm;
      rows.push([
        store.name,
        `${fmt(POINTS / one)} points/s`,
        `${fmt(many.rate)} points/s (wall ${many.wall.toFixed(1)} s)`,
        `${read.cold.toFixed(1)} ms cold, ${read.warm.toFixed(1)} ms warm`,
        load(),
      ]);
    } finally {
      store.dispose();
    }
  }
  const header = [
    "store",
    "1 writer",
    `${WRITERS} writer processes`,
    `read ${fmt(POINTS)} downsampled to 2,000`,
    "load avg (1 5 15)",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  console.log(
    `PostgreSQL / SQLite read time (warm): ${(reads.PostgreSQL / reads.SQLite).toFixed(2)}x (aim: within 3x)`,
  );
}

void main();
