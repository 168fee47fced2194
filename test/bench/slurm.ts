/**
 * Slurm executor (issue 10.2): submit-to-first-point latency of an 8-task array job on the
 * local one-node cluster (test/services/slurm.sh must have started it). For each task: from the
 * moment `expman run` is started to its run's first metric point in the store (its run start
 * too), then the median. Prints the load average with the figures; asserts nothing.
 *
 *   npm run build && bash test/services/slurm.sh && npx tsx test/bench/slurm.ts [tasks=8] [rounds=1]
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import Database from "better-sqlite3";
import { toyConfig } from "../../runtime/test/helpers/cli";
import { openResults } from "../../runtime/src/results/open";

const [tasks = 8, rounds = 1] = process.argv.slice(2).map(Number);
const EXPMAN = require.resolve("../../runtime/bin/expman.js");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function round(n: number): Promise<void> {
  const c = toyConfig({
    epochs: 2,
    sleepMs: 0,
    trials: `- name: t\n  repeat: ${tasks}\n  settings: {}\n`,
    env: "workspace: ../ws\nexecutor: slurm\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
  });
  const load = os.loadavg();
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [EXPMAN, "run", c.dir], { encoding: "utf8" });
  const submitted = Date.now();
  if (r.status !== 0) throw new Error(`expman run failed: ${r.stderr}`);
  const job = /job (\d+)/.exec(r.stdout)?.[1];
  // Wait until every run ended (polling the store as the extension does).
  for (;;) {
    const db = new Database(c.db, { readonly: true });
    const open = (
      db.prepare("SELECT count(*) AS n FROM trial_run WHERE status IN ('QUEUED','RUNNING')").get() as { n: number }
    ).n;
    db.close();
    if (open === 0) break;
    if (Date.now() - t0 > 300_000) throw new Error("runs did not end within 5 minutes");
    await new Promise((res) => setTimeout(res, 200));
  }
  const done = Date.now();
  const reader = openResults(c.db);
  const rows: { run: string; start: number; first: number }[] = [];
  for (const run of reader.listRuns()) {
    const s = reader.getSeries({ runId: run.id, key: "train_loss", scope: "epoch" });
    rows.push({
      run: `${run.trialName}-${run.repeat} (${run.jobId})`,
      start: run.startTime - t0,
      first: s.times[0] - t0,
    });
  }
  reader.close();
  console.log(
    `\nround ${n}: job ${job}, ${tasks} tasks; expman run returned (submitted) after ${submitted - t0} ms; all runs ended after ${done - t0} ms`,
  );
  console.log(
    `  load average before: ${load.map((x) => x.toFixed(2)).join(" ")} (1/5/15 min), ${os.cpus().length} CPUs`,
  );
  console.log("  task                          run start   first point   (ms after expman run was started)");
  for (const x of rows)
    console.log(`  ${x.run.padEnd(28)}  ${String(x.start).padStart(9)}   ${String(x.first).padStart(11)}`);
  console.log(
    `  median submit-to-first-point: ${median(rows.map((x) => x.first))} ms (min ${Math.min(...rows.map((x) => x.first))}, max ${Math.max(...rows.map((x) => x.first))}); median run start ${median(rows.map((x) => x.start))} ms`,
  );
}

async function main(): Promise<void> {
  for (let i = 1; i <= rounds; i++) await round(i);
  console.log(
    `load average after: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
}
void main();
