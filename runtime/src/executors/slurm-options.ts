/**
 * What env.yaml says about running on Slurm (`executor: slurm`, the `slurm:` section) and the
 * `sbatch` command line made from it. Pure: no process is started here (see slurm-cluster.ts).
 */

export const EXECUTORS = ["local", "slurm"] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export interface SlurmOptions {
  /** `--partition` */
  partition?: string;
  /** `--time`: Slurm's formats ("30", "1:30:00", "2-00:00:00"), or whole minutes. */
  time?: string;
  /** `--cpus-per-task` for each run. */
  cpusPerRun?: number;
  /** `--gpus-per-task` for each run (left out when 0). */
  gpusPerRun?: number;
  /** `--account` */
  account?: string;
  /** At most this many array tasks at once (`--array=...%N`). */
  maxConcurrent?: number;
  /** Further `sbatch` arguments, passed as they are (one argument each, no shell). */
  sbatchArgs?: string[];
}

/** Slurm's time formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or no limit. */
const SLURM_TIME =
  /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|infinite|unlimited)$/i;

/** Why a `time` value is not one Slurm takes (undefined when it is). */
export function slurmTimeProblem(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return undefined;
  if (typeof value === "string" && SLURM_TIME.test(value.trim())) return undefined;
  return `must be a Slurm time limit such as "30" (minutes), "1:30:00" (h:m:s) or "2-00:00:00" (days-h:m:s), got ${JSON.stringify(value)}`;
}

/**
 * The executor env.yaml asks for: `executor: slurm|local`; undefined when it names none.
 * (Validation reports a wrong value with its position; here it is simply not one of ours.)
 */
export function executorOf(env: Record<string, unknown> | undefined): ExecutorName | undefined {
  const value = env?.executor;
  return (EXECUTORS as readonly unknown[]).includes(value) ? (value as ExecutorName) : undefined;
}

/** The `slurm:` section of env.yaml (validated with the config) as options. */
export function slurmOptionsOf(env: Record<string, unknown> | undefined): SlurmOptions {
  const s = (env?.slurm ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
  const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : undefined);
  return {
    partition: str(s.partition),
    time: typeof s.time === "number" ? String(s.time) : str(s.time),
    cpusPerRun: int(s.cpus_per_run),
    gpusPerRun: int(s.gpus_per_run),
    account: str(s.account),
    maxConcurrent: int(s.max_concurrent),
    sbatchArgs: Array.isArray(s.sbatch_args) ? s.sbatch_args.map(String) : undefined,
  };
}

/**
 * `--array` for these plan indices: ranges where they are consecutive ("0-7", "0,2,5-9"), so a
 * task's SLURM_ARRAY_TASK_ID is its run's index in the plan; `%N` caps the tasks at once.
 */
export function arraySpec(indices: readonly number[], maxConcurrent?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError("no runs to submit");
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",") + (maxConcurrent ? `%${maxConcurrent}` : "");
}

export interface SubmitSpec {
  jobName: string;
  /** Plan indices of the runs to submit (one array task each). */
  indices: readonly number[];
  /** Where each task's stdout and stderr go (Slurm's patterns: %A job, %a task). */
  output: string;
  /** The batch script (runtime/bin/slurm-task.sh), then the command it executes for each task. */
  script: string;
  command: readonly string[];
}

/**
 * The `sbatch` argument array: ours first, the user's `sbatch_args` after them (so they can add
 * to or override ours), then the script and its arguments. `--parsable` makes sbatch print
 * only `<job id>[;cluster]`.
 */
export function sbatchArgs(options: SlurmOptions, spec: SubmitSpec): string[] {
  const args = [
    "--parsable",
    `--job-name=${spec.jobName}`,
    `--array=${arraySpec(spec.indices, options.maxConcurrent)}`,
    `--output=${spec.output}`,
  ];
  if (options.partition) args.push(`--partition=${options.partition}`);
  if (options.time) args.push(`--time=${options.time}`);
  if (options.cpusPerRun) args.push(`--cpus-per-task=${options.cpusPerRun}`);
  if (options.gpusPerRun) args.push(`--gpus-per-task=${options.gpusPerRun}`);
  if (options.account) args.push(`--account=${options.account}`);
  args.push(...(options.sbatchArgs ?? []));
  return [...args, spec.script, ...spec.command];
}
