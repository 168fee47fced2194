import * as fs from "node:fs";
import * as path from "node:path";
import { Level, RunStatus } from "../common/enums";
import type { RunStatusName } from "../common/vocabulary";
import type { Experiment } from "../experiment/experiment";
import { runLabel, type PlannedRun } from "../experiment/plan";
import { openStoreForReading } from "../tracking/db/connection";
import { WriteStore, type SchedulerRun } from "../tracking/db/write-store";
import { expmanBin } from "../cli/bin-path";
import {
  activeStatus,
  clusterView,
  endedTaskStatus,
  findOnPath,
  sbatch,
  SbatchRejectedError,
  type ClusterView,
  type TaskState,
} from "./slurm-cluster";
import { sbatchArgs, type SlurmOptions } from "./slurm-options";

/**
 * The Slurm executor: the plan (QUEUED runs) is written by `expman run` as for local runs, then
 * submitted as ONE array job whose task i runs `expman worker` for plan index i, on whichever
 * node Slurm picks. The store is the truth: each task writes its own run; what only the cluster
 * knows (a task that never started, or died without writing: TIMEOUT, OUT_OF_MEMORY,
 * NODE_FAIL, CANCELLED) is read from squeue/scontrol/sacct and written to the store by
 * `reconcileSlurm` (run by `--wait`, `expman ls` and the query service).
 */

/** The batch script each task runs (it executes its arguments as given), beside bin/expman.js. */
export function slurmTaskScript(): string {
  return path.join(path.dirname(expmanBin()), "slurm-task.sh");
}

export interface Submitted {
  jobId: string;
  /** `<job>_<index>` of each submitted run. */
  tasks: { run: PlannedRun; task: string }[];
  /** Where the tasks' stdout/stderr go (`%A_%a.out` there). */
  outputDir: string;
}

/**
 * Submits the experiment's selected runs as one array job. On success the experiment is handed
 * over (its runs carry their task ids, this process is no longer its writer) and this process's
 * trackers are closed. When sbatch refuses, the runs end FAILED with Slurm's stderr and the
 * experiment FAILED, and SbatchRejectedError is thrown: nothing stays QUEUED.
 */
export async function submitToSlurm(experiment: Experiment, options: SlurmOptions): Promise<Submitted> {
  const tm = experiment.env.trackerManager;
  const selected = experiment.selected;
  const outputDir = path.join(experiment.env.workspace, "slurm");
  tm.onStart(Level.EXPERIMENT, { name: experiment.title });
  let jobId: string;
  try {
    fs.mkdirSync(outputDir, { recursive: true });
    jobId = await sbatch(
      sbatchArgs(options, {
        jobName: `expman:${experiment.title}`,
        indices: selected.map((r) => r.index),
        output: path.join(outputDir, "%A_%a.out"),
        script: slurmTaskScript(),
        command: [
          process.execPath,
          expmanBin(),
          "worker",
          experiment.configDir,
          "--experiment",
          experiment.uid,
          "--workspace",
          experiment.env.workspace,
        ],
      }),
    );
  } catch (error) {
    const message =
      error instanceof SbatchRejectedError
        ? `Slurm did not take the job: ${error.stderr.trim() || error.message}`
        : `Submitting to Slurm failed: ${(error as Error).message}`;
    for (const store of experiment.stores) for (const run of selected) store.endRunIfOpen(run.uid, "FAILED", message);
    tm.onEnd(Level.EXPERIMENT, { status: RunStatus.FAILED, error: { message }, settle: true });
    await tm.close();
    experiment.env.close();
    throw error;
  }
  const tasks = selected.map((run) => ({ run, task: `${jobId}_${run.index}` }));
  for (const store of experiment.stores) {
    store.setJobIds(tasks.map((t) => ({ uid: t.run.uid, jobId: t.task })));
    store.handOver(experiment.uid, "slurm");
  }
  experiment.env.logger.info(`Submitted ${tasks.length} run(s) to Slurm as array job ${jobId}`);
  await tm.close();
  experiment.env.close();
  return { jobId, tasks, outputDir };
}

export interface ReconcileResult {
  /** The runs that were open (or ABORTED by a SIGTERM) before, with what the cluster says of each. */
  runs: (SchedulerRun & { cluster?: TaskState })[];
  view?: ClusterView;
  /** Runs whose status this call wrote. */
  changed: { uid: string; status: RunStatusName; message: string }[];
}

/** Slurm states that are the scheduler's doing, so they override an ABORTED the task wrote on its SIGTERM. */
const SCHEDULER_ENDS = ["TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "CANCELLED", "PREEMPTED", "DEADLINE"];

/**
 * Writes to the store what only the cluster knows: runs whose task ended without ending them
 * (or ended them ABORTED on a time limit's SIGTERM) get the scheduler's status and reason; the
 * experiments they belong to settle once no run is open. Nothing is concluded when squeue
 * cannot reach the controller.
 */
export async function reconcileSlurm(store: WriteStore, experimentUid?: string): Promise<ReconcileResult> {
  const open = store.schedulerRuns("slurm", experimentUid);
  if (open.length === 0) return { runs: [], changed: [] };
  const jobs = [...new Set(open.map((r) => r.jobId.split("_")[0]))];
  const view = await clusterView(jobs);
  const runs = open.map((r) => ({ ...r, cluster: view.tasks.get(r.jobId) }));
  const changed: ReconcileResult["changed"] = [];
  if (!view.reachable) return { runs, view, changed };
  const settle = new Set<string>();
  const now = Date.now();
  for (const r of runs) {
    let end: { status: RunStatusName; message: string } | undefined;
    if (!r.cluster) {
      // Gone from squeue, scontrol and sacct, and the run never ended itself.
      if (r.status === "ABORTED") continue;
      end = {
        status: "FAILED",
        message: `Slurm no longer knows task ${r.jobId} (it ended before its job record expired, and the cluster keeps no accounting) and its run never ended.`,
      };
    } else {
      end = endedTaskStatus(r.cluster);
      if (!end) continue;
      if (r.status === "ABORTED" && !SCHEDULER_ENDS.includes(r.cluster.state)) continue;
    }
    if (store.endRunByScheduler(r.uid, end.status, now, end.message, { overAborted: r.status === "ABORTED" })) {
      changed.push({ uid: r.uid, ...end });
      settle.add(r.experimentUid);
    }
  }
  for (const uid of settle) store.settle(uid, now);
  return { runs, view, changed };
}

/** The status to show for a run the cluster holds: QUEUED/RUNNING from squeue, with its reason. */
export function clusterStatus(
  task: TaskState | undefined,
): { status: "QUEUED" | "RUNNING"; reason?: string } | undefined {
  const status = task && activeStatus(task.state);
  return status ? { status, reason: task!.reason } : undefined;
}

export interface FollowOptions {
  /** Between two looks at the store and the cluster. */
  pollMs?: number;
  /** A run's status changed (from the store, after reconciling with the cluster). */
  onChange?(run: { uid: string; label: string; status: string; error: string | null }): void;
  signal?: AbortSignal;
}

/**
 * `expman run --wait`: follows the submitted runs until each has ended in the store, writing
 * the cluster's final states for tasks that could not. Returns every run's final status.
 */
export async function followSlurm(
  dbFiles: readonly string[],
  experimentUid: string,
  runs: readonly PlannedRun[],
  options: FollowOptions = {},
): Promise<Map<string, { status: string; error: string | null }>> {
  const labels = new Map(runs.map((r) => [r.uid, runLabel(r)]));
  const seen = new Map<string, string>();
  const stores = dbFiles.map((f) => new WriteStore(f));
  try {
    for (;;) {
      // A run its worker ended ABORTED on Slurm's SIGTERM (a time limit, scancel) is not over
      // while the cluster still holds its task: the scheduler's final state (TIMEOUT ...) comes
      // after, and replaces it.
      const heldByCluster = new Set<string>();
      for (const store of stores) {
        const result = await reconcileSlurm(store, experimentUid);
        for (const r of result.runs) if (clusterStatus(r.cluster)) heldByCluster.add(r.uid);
      }
      const now = statuses(stores[0], experimentUid);
      for (const [uid, s] of now) {
        if (!labels.has(uid) || seen.get(uid) === s.status) continue;
        seen.set(uid, s.status);
        options.onChange?.({ uid, label: labels.get(uid)!, status: s.status, error: s.error });
      }
      const open = [...labels.keys()].filter((uid) => {
        const s = now.get(uid)?.status;
        return s === undefined || s === "QUEUED" || s === "RUNNING" || heldByCluster.has(uid);
      });
      if (open.length === 0 || options.signal?.aborted) return now;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  } finally {
    for (const store of stores) store.close();
  }
}

function statuses(store: WriteStore, experimentUid: string): Map<string, { status: string; error: string | null }> {
  return new Map(store.runStatuses(experimentUid).map((r) => [r.uid, { status: r.status, error: r.error }]));
}

/**
 * For readers (`expman ls`, the query service): when a store holds Slurm runs still open,
 * writes what the cluster knows of them (reconcileSlurm) and returns the cluster's view of each
 * run by uid (`tasks`) and whether any was open. A store without such runs is only read, never
 * opened for writing.
 */
export async function reconcileDbFile(file: string): Promise<{ tasks: Map<string, TaskState>; open: boolean }> {
  const tasks = new Map<string, TaskState>();
  // Without Slurm's commands here (a laptop reading a copied database) there is no one to ask.
  if (!findOnPath("squeue") || !hasOpenSchedulerRuns(file)) return { tasks, open: false };
  const store = new WriteStore(file);
  try {
    const result = await reconcileSlurm(store);
    for (const r of result.runs) if (r.cluster) tasks.set(r.uid, r.cluster);
  } finally {
    store.close();
  }
  return { tasks, open: true };
}

function hasOpenSchedulerRuns(file: string): boolean {
  let db;
  try {
    db = openStoreForReading(file);
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id
         WHERE e.executor = 'slurm' AND r.job_id IS NOT NULL
           AND (r.status IN ('QUEUED','RUNNING') OR (r.status = 'ABORTED' AND r.error_message IS NULL AND r.end_time > ?))`,
      )
      .get(Date.now() - 86_400_000) as { n: number | string };
    // PostgreSQL's count is a bigint, which pg gives as a string.
    return Number(row.n) > 0;
  } catch {
    // An older schema (no executor/job_id columns) or an unreadable file: nothing of Slurm's here.
    return false;
  } finally {
    db?.close();
  }
}
