import * as os from "node:os";
import type { WriterParts } from "./writer-parts";

/** What writePlan() writes: see experiment/plan.ts. */
export interface PlanRows {
  experimentUid: string;
  time: number;
  /** JSON of the four config files' values, kept to detect a changed config later. */
  config?: string;
  executor?: string;
  trials: { uid: string; name: string; workspace: string | null }[];
  /** `skipped`: not to run this time (`--only`), written SKIPPED with this reason. */
  runs: {
    uid: string;
    trialUid: string;
    index: number;
    repeat: number;
    seed: number;
    workspace: string | null;
    skipped?: string;
  }[];
}

/** The tables a run's data lives in (removed when the run starts over). */
const RUN_DATA_TABLES = ["epoch", "series", "param", "checkpoint", "artifact"];

/**
 * Writes the experiment's trials and planned runs (QUEUED) in one transaction, before
 * anything runs; rows that exist already (a worker, a resume) are left as they are. Also
 * records the config the plan was made from, once, so a later run of the plan can tell
 * whether it changed.
 */
export function writePlan(w: WriterParts, plan: PlanRows): void {
  const experimentId = w.rows.experimentId(plan.experimentUid)!;
  // Other writers (workers of another experiment) may hold the lock: wait, up to the deadline.
  w.gate.waiting(() =>
    w.db
      .transaction(() => {
        if (plan.config !== undefined) {
          w.db
            .prepare(
              "UPDATE experiment SET config = coalesce(config, ?), executor = coalesce(?, executor) WHERE id = ?",
            )
            .run(plan.config, plan.executor ?? null, experimentId);
        }
        for (const t of plan.trials) {
          if (!w.rows.trialRow(t.uid, undefined, false))
            w.rows.createTrial(t.uid, plan.experimentUid, t.name, t.workspace, plan.time);
        }
        for (const r of plan.runs) {
          if (w.rows.runRow(r.uid, undefined, undefined, false)) continue;
          const trial = w.rows.trialRow(r.trialUid, plan.experimentUid)!;
          const id = Number(
            w.st.insertPlannedRun.run(
              r.uid,
              trial.id,
              r.repeat,
              r.seed,
              plan.time,
              r.workspace,
              r.index,
              r.skipped ? "SKIPPED" : "QUEUED",
              r.skipped ?? null,
            ).lastInsertRowid,
          );
          w.rows.plannedRun(r.uid, id, trial);
        }
      })
      .immediate(),
  );
}

/**
 * A run starts in this process: RUNNING, with this process as its writer. A run that ran
 * before (a resume, `--only` again) starts over with its old epochs, points, params,
 * checkpoints and artifacts removed, unless `keepData` (it continues from a checkpoint).
 */
export function startRun(
  w: WriterParts,
  uid: string,
  time: number,
  options: { keepData?: boolean; jobId?: string | null } = {},
): void {
  const run = w.rows.runRow(uid, undefined, undefined, false);
  if (!run) return;
  // A run again (a resume) drops its earlier attempt, now: the status update below may wait
  // for the lock (another worker writing) and a flush writes buffered points before such
  // waiting updates, so a deferred DELETE would remove this run's first new points. A planned
  // run that never ran (every worker's, every Slurm task's) has nothing to remove.
  const hasOld = () =>
    RUN_DATA_TABLES.some(
      (table) => w.db.prepare(`SELECT 1 FROM ${table} WHERE run_id = ? LIMIT 1`).get(run.id) !== undefined,
    );
  if (!options.keepData && hasOld()) {
    w.gate.waiting(() =>
      w.db
        .transaction(() => {
          for (const table of RUN_DATA_TABLES) w.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(run.id);
        })
        .immediate(),
    );
    // Owners cached for this run would resume series that no longer exist.
    w.rows.release(uid);
  }
  w.flush(() => {
    w.st.startRun.run(time, process.pid, os.hostname(), options.jobId ?? null, run.id);
    w.db
      .prepare("UPDATE trial SET status = 'RUNNING', end_time = NULL WHERE id = ? AND status <> 'RUNNING'")
      .run(run.trialId);
  });
  if (!w.rows.startedRuns.includes(run.id)) w.rows.startedRuns.push(run.id);
}

/** The last checkpoint of a run that a resume queued again (status QUEUED), if it saved one. */
export function resumableCheckpoint(w: WriterParts, uid: string): string | undefined {
  const row = w.db
    .prepare(
      "SELECT c.path FROM checkpoint c JOIN trial_run r ON r.id = c.run_id WHERE r.uid = ? AND r.status = 'QUEUED' ORDER BY c.time DESC, c.id DESC LIMIT 1",
    )
    .get(uid) as { path: string } | undefined;
  return row?.path;
}

/** The config JSON the experiment was planned with; undefined when no such experiment. */
export function experimentConfig(w: WriterParts, uid: string): { config: string | null } | undefined {
  return w.db.prepare("SELECT config FROM experiment WHERE uid = ?").get(uid) as { config: string | null } | undefined;
}

/** The newest experiment of a config folder, as `--resume` sees it. */
export interface LatestExperiment {
  id: number;
  uid: string;
  title: string;
  status: string;
  pid: number | null;
  host: string | null;
}

/** The newest experiment run from this config folder (what `--resume` continues). */
export function latestExperimentOf(w: WriterParts, configDir: string): LatestExperiment | undefined {
  return w.db
    .prepare("SELECT id, uid, title, status, pid, host FROM experiment WHERE config_dir = ? ORDER BY id DESC LIMIT 1")
    .get(configDir) as LatestExperiment | undefined;
}

/** Every run of an experiment with its status, in plan order. */
export function runStatuses(
  w: WriterParts,
  experimentUid: string,
): { uid: string; status: string; error: string | null }[] {
  return w.db
    .prepare(
      "SELECT r.uid, r.status, r.error_message AS error FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id WHERE e.uid = ? ORDER BY r.id",
    )
    .all(experimentUid) as { uid: string; status: string; error: string | null }[];
}

/** Queues runs again (a resume): their data stays until they start (see startRun). */
export function requeue(w: WriterParts, uids: string[]): void {
  const stmt = w.db.prepare(
    "UPDATE trial_run SET status = 'QUEUED', end_time = NULL, error_message = NULL, error_stack = NULL, job_id = NULL WHERE uid = ?",
  );
  w.gate.waiting(() =>
    w.db
      .transaction(() => {
        for (const uid of uids) stmt.run(uid);
      })
      .immediate(),
  );
}

/** The coordinator takes the experiment row over: RUNNING again, this process its writer. */
export function startExperiment(w: WriterParts, uid: string): void {
  const id = w.rows.experimentId(uid, false);
  if (id === undefined) return;
  w.gate.waiting(() =>
    w.db
      .prepare(
        "UPDATE experiment SET status = 'RUNNING', end_time = NULL, error_message = NULL, error_stack = NULL, pid = ?, host = ? WHERE id = ?",
      )
      .run(process.pid, os.hostname(), id),
  );
  if (!w.rows.createdExperiments.includes(id)) w.rows.createdExperiments.push(id);
}
