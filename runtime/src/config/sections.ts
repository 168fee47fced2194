import type { ConfigRole } from "../common/enums";
import type { ParamsSchema } from "../registry/schema";

/**
 * The keys the framework itself reads in each config file: for validation (unknown keys in
 * these sections warn), completion and hover. User keys under `settings`/base.yaml are free.
 */

export const ENV_KEYS: ParamsSchema = {
  workspace: {
    type: "string",
    required: true,
    description:
      "Root output folder of the experiment, relative to the config folder (or absolute). Logs, configs, artifacts and the database go there.",
  },
  verbose: { type: "boolean", default: false, description: "Also print the environment logs to the console." },
  debug: { type: "boolean", default: false, description: "Log at DEBUG level instead of INFO." },
  device: { type: "string", default: "cpu", description: "Device name passed to pipelines as `env.device`." },
  args: {
    type: "object",
    default: {},
    description: "Free arguments reachable as `env.args` in pipelines; a trial's `args` are merged on top.",
  },
  trackers: {
    type: "list",
    default: [],
    description: "Trackers that receive every event, in this order. Each entry needs a `type`.",
  },
  imports: {
    type: "list",
    default: [],
    description:
      "Modules (TS or JS, relative to the config folder) that register pipelines, trackers and callbacks. TS is transpiled with esbuild at load.",
  },
  fail_fast: {
    type: "boolean",
    default: false,
    description: "Stop the whole experiment at the first failed run instead of going on with the next one.",
  },
  parallel: {
    type: "integer",
    minimum: 1,
    description:
      "Run up to this many runs at once, each in its own worker process on this machine (`expman run --jobs N` overrides it).",
  },
  executor: {
    type: "string",
    enum: ["local", "slurm"],
    default: "local",
    description:
      "Where the runs execute: `local` (this machine; `parallel` workers) or `slurm` (one `sbatch` array job, a task per run, options under `slurm:`; `expman run` returns once submitted, `--wait` follows). `expman run --executor` overrides it.",
  },
  slurm: {
    type: "object",
    description:
      "Options of the Slurm executor (`executor: slurm`): `partition`, `time`, `cpus_per_run`, `gpus_per_run`, `account`, `max_concurrent`, `sbatch_args`.",
  },
  name: { type: "string", description: "Ignored by the framework (kept for compatibility)." },
  description: { type: "string", description: "Ignored by the framework (kept for compatibility)." },
};

/** The `slurm:` section of env.yaml (executors/slurm-options.ts reads it). */
export const SLURM_KEYS: ParamsSchema = {
  partition: { type: "string", description: "The partition (queue) the array job goes to: `sbatch --partition`." },
  time: {
    type: "any",
    description:
      'Time limit of each run: Slurm\'s formats, e.g. `"30"` (minutes), `"1:30:00"`, `"2-00:00:00"` (`sbatch --time`). A run past it ends FAILED (TIMEOUT).',
  },
  cpus_per_run: { type: "integer", minimum: 1, description: "CPUs for each run: `sbatch --cpus-per-task`." },
  gpus_per_run: {
    type: "integer",
    minimum: 0,
    description: "GPUs for each run: `sbatch --gpus-per-task` (left out when 0).",
  },
  account: { type: "string", description: "The account charged: `sbatch --account`." },
  max_concurrent: {
    type: "integer",
    minimum: 1,
    description: "At most this many runs at once (`sbatch --array=...%N`).",
  },
  sbatch_args: {
    type: "list",
    description:
      'Further `sbatch` arguments, each one string as on a command line (e.g. `["--mem=4G", "--qos=short"]`); passed as they are, no shell.',
  },
};

export const EXPERIMENT_KEYS: ParamsSchema = {
  name: { type: "string", required: true, description: "Experiment title, stored in the database." },
  desc: { type: "string", required: true, description: "Experiment description, stored in the database." },
  settings: { type: "object", description: "Ignored: base.yaml provides the settings (as in the original)." },
  id: { type: "any", description: "Ignored." },
  trials: { type: "any", description: "Ignored: trials come from trials.yaml." },
};

export const TRIAL_KEYS: ParamsSchema = {
  name: {
    type: "string",
    required: true,
    format: "file-name",
    description:
      "Trial name; also its folder name under the workspace (one name, not a path; at most 100 characters). Must be unique.",
  },
  repeat: {
    type: "integer",
    required: true,
    minimum: 0,
    description: "How many runs of this trial; run i gets seed `settings.seed + i`.",
  },
  settings: {
    type: "object",
    required: true,
    description: "Overrides deep-merged over base.yaml (lists merge element by element). May be empty.",
  },
  sweep: {
    type: "object",
    description:
      "Makes this entry a sweep: one trial per grid point (`method: grid`) or per random draw (`method: random`, `samples`, `seed`), over `params` given by dotted settings path (`optimizer.lr: [0.01, 0.1]`, `{ loguniform: [0.0001, 0.1] }`, `{ uniform: [a, b] }`, `{ int: [a, b] }`, `{ choice: [...] }`). Each trial is named `<name>[lr=0.01,hidden=32]` and runs `repeat` times; `settings` (optional) apply to all.",
  },
  args: { type: "object", description: "Merged into `env.args` for this trial's runs only." },
  desc: { type: "string", description: "Free description (not used by the framework)." },
  id: { type: "any", description: "Ignored." },
};

export const PIPELINE_KEYS: ParamsSchema = {
  type: { type: "string", required: true, description: "Registered pipeline class name." },
  callbacks: {
    type: "list",
    description: "Callbacks registered on the pipeline, in this order. Each entry needs a `type`.",
  },
};

export const SETTINGS_KEYS: ParamsSchema = {
  pipeline: {
    type: "object",
    required: true,
    description: "The pipeline to run: `type`, `callbacks` and its own parameters.",
  },
  seed: {
    type: "integer",
    default: 0,
    description: "Base seed; repeat i of a trial runs with `seed + i` (`env.seed`, `env.rng`).",
  },
};

export const TRACKER_ENTRY_KEYS: ParamsSchema = {
  type: { type: "string", required: true, description: "Registered tracker class name." },
};

export const CALLBACK_ENTRY_KEYS: ParamsSchema = {
  type: { type: "string", required: true, description: "Registered callback class name." },
};

/**
 * What the first lines of each config file show (a cheap look, no YAML parse): the keys only that
 * file has at its top level, or a trials list. Lets the editor help with the first file of a new
 * experiment, before the other three exist, without claiming another tool's `env.yaml`.
 */
const ROLE_SIGNS: Readonly<Record<ConfigRole, RegExp>> = {
  env: /^(workspace|trackers|imports)\s*:/m,
  experiment: /^(name|desc)\s*:/m,
  base: /^pipeline\s*:/m,
  trials: /^-\s+name\s*:/m,
};

/** A document still empty (blank lines and comments only) or showing the keys of its role's file. */
export function looksLikeConfigRole(role: ConfigRole, text: string): boolean {
  const head = text.slice(0, 8192);
  const blank = head.split(/\r?\n/).every((line) => /^\s*(#.*)?$/.test(line));
  if (blank) return true;
  return ROLE_SIGNS[role].test(head);
}
