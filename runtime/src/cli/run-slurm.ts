import { parseLocated, positionAt, sourceFile } from "../config/located";
import { configProblem, ConfigValidationError } from "../config/diagnostic";
import type { ConfigSources } from "../config/load";
import type { Experiment } from "../experiment/experiment";
import { runLabel } from "../experiment/plan";
import { requireSlurmCommands, SbatchRejectedError } from "../executors/slurm-cluster";
import { executorOf, slurmOptionsOf, type ExecutorName } from "../executors/slurm-options";
import { followSlurm, submitToSlurm } from "../executors/slurm";
import { table } from "./format";

/** The executor a run uses: `--executor`, else env.yaml's `executor:`, else local. */
export function chosenExecutor(flag: ExecutorName | undefined, sources: ConfigSources): ExecutorName {
  return flag ?? executorOf(sources.env.value as Record<string, unknown>) ?? "local";
}

/**
 * Before anything is written: Slurm's commands must be here, and env.yaml must have a store
 * (a DBTracker) for the tasks to write to and for following them.
 */
export function slurmPreflight(flag: ExecutorName | undefined, sources: ConfigSources): void {
  if (chosenExecutor(flag, sources) !== "slurm") return;
  const env = sources.env;
  const file = sourceFile("env", env.path, env.text);
  const root = parseLocated(file).root;
  const entry = root?.kind === "map" ? root.entries.get("executor") : undefined;
  const at = positionAt(file, entry?.keyStart ?? 0);
  const where = flag ? "--executor slurm" : `${env.path}:${at.line + 1}:${at.character + 1}: 'executor: slurm'`;
  const trackers = (env.value as Record<string, unknown>)?.trackers;
  const hasStore =
    Array.isArray(trackers) && trackers.some((t) => (t as Record<string, unknown> | null)?.type === "DBTracker");
  if (!hasStore)
    throw new ConfigValidationError([
      configProblem(
        "env",
        env.path,
        at,
        "missing-key",
        "Running on Slurm needs a DBTracker under 'trackers:' (the tasks write their runs to it, and it is how their progress is followed). Add '- type: DBTracker'.",
      ),
    ]);
  requireSlurmCommands(where);
}

/**
 * `expman run --executor slurm`: submits the plan as one array job and returns (exit 0) once
 * Slurm took it; with `--wait`, follows every run until it ends (exit 1 if one did not succeed).
 * A refused job: Slurm's stderr, the runs FAILED in the store, exit 1.
 */
export async function runOnSlurm(
  experiment: Experiment,
  options: { wait: boolean; quiet: boolean; signal?: AbortSignal; onSubmitted?(jobId: string): void },
): Promise<number> {
  const env = experiment.sources.env.value as Record<string, unknown>;
  // The stores' real targets: a PostgreSQL URL's password is masked in `path`.
  const dbFiles = experiment.stores.map((s) => s.target);
  const runs = experiment.selected;
  let submitted;
  try {
    submitted = await submitToSlurm(experiment, slurmOptionsOf(env));
  } catch (error) {
    if (!(error instanceof SbatchRejectedError)) throw error;
    process.stderr.write(
      `expman run: Slurm refused the job (sbatch exit ${error.code ?? "?"}):\n${error.stderr.trimEnd()}\n` +
        `The ${runs.length} planned run(s) of '${experiment.title}' are marked FAILED with this message; nothing was submitted.\n`,
    );
    return 1;
  }
  options.onSubmitted?.(submitted.jobId);
  const first = submitted.tasks[0]?.task;
  const last = submitted.tasks[submitted.tasks.length - 1]?.task;
  process.stdout.write(
    `Submitted ${runs.length} run(s) of '${experiment.title}' to Slurm: job ${submitted.jobId} (tasks ${first}${last !== first ? ` .. ${last}` : ""}).\n` +
      `Task output: ${submitted.outputDir}/${submitted.jobId}_<index>.out\n`,
  );
  if (!options.wait) {
    process.stdout.write(
      `Follow it with 'expman ls --config ${experiment.configDir}' (or --wait); stop it with 'scancel ${submitted.jobId}'.\n`,
    );
    return 0;
  }
  const final = await followSlurm(dbFiles, experiment.uid, runs, {
    signal: options.signal,
    onChange: (r) => {
      if (!options.quiet)
        process.stderr.write(`[slurm ${submitted.jobId}] ${r.label} ${r.status}${r.error ? `: ${r.error}` : ""}\n`);
    },
  });
  if (options.signal?.aborted) {
    process.stderr.write(
      `Stopped following job ${submitted.jobId}; its tasks go on ('scancel ${submitted.jobId}' stops them).\n`,
    );
    return 130;
  }
  const rows = runs.map((r) => {
    const s = final.get(r.uid);
    return [r.trial.name, r.repeat, r.seed, submitted.tasks.find((t) => t.run === r)?.task ?? "", s?.status ?? "?"];
  });
  if (!options.quiet) process.stdout.write(`\n${table(["trial", "repeat", "seed", "task", "status"], rows)}\n`);
  const bad = runs.filter((r) => !["SUCCESS", "STOPPED"].includes(final.get(r.uid)?.status ?? ""));
  for (const r of bad) {
    const s = final.get(r.uid);
    process.stderr.write(`${runLabel(r)} ${s?.status ?? "?"}${s?.error ? `: ${s.error}` : ""}\n`);
  }
  process.stdout.write(
    `Experiment '${experiment.title}' on Slurm job ${submitted.jobId}: ${runs.length - bad.length} of ${runs.length} run(s) succeeded.\n`,
  );
  return bad.length > 0 ? 1 : 0;
}
