import { createHash } from "node:crypto";
import { deepMergeConfigs, isPlainObject } from "../config/merge";
import type { ExpandedTrial } from "../config/sweep";

/**
 * The plan of an experiment: every trial and every run it will execute, in a fixed order
 * (trials as listed in trials.yaml, then repeats). A run is the unit of work: any process on
 * any node can execute run `index` from the config folder and the experiment's id, because
 * the plan, its seeds and its ids are all derived from those two things.
 */

export interface PlannedTrial {
  /** Position in trials.yaml. */
  index: number;
  name: string;
  uid: string;
  repeats: number;
  /** base.yaml merged with the trial's `settings`. */
  settings: Record<string, unknown>;
  args?: Record<string, unknown>;
  /** For a trial of a sweep: the trials.yaml entry's name, the point's index and its values. */
  sweep?: ExpandedTrial["sweep"];
}

export interface PlannedRun {
  /** Position in the plan (0-based): what a worker is given. */
  index: number;
  trial: PlannedTrial;
  repeat: number;
  /** `settings.seed + repeat`, whichever process runs it. */
  seed: number;
  uid: string;
}

export interface ExperimentPlan {
  experimentUid: string;
  trials: PlannedTrial[];
  runs: PlannedRun[];
}

export function buildPlan(
  experimentUid: string,
  base: unknown,
  trialEntries: readonly Record<string, unknown>[],
): ExperimentPlan {
  const trials: PlannedTrial[] = [];
  const runs: PlannedRun[] = [];
  trialEntries.forEach((entry, t) => {
    const settings = deepMergeConfigs(base, entry.settings);
    const trial: PlannedTrial = {
      index: t,
      name: String(entry.name),
      uid: derivedUid(experimentUid, `trial/${t}`),
      repeats: Number(entry.repeat) || 0,
      settings,
      args: isPlainObject(entry.args) ? entry.args : undefined,
      ...(isPlainObject(entry.sweep) ? { sweep: entry.sweep as ExpandedTrial["sweep"] } : {}),
    };
    trials.push(trial);
    const seed0 = Number.isInteger(settings.seed) ? Number(settings.seed) : 0;
    for (let r = 0; r < trial.repeats; r++) {
      const index = runs.length;
      runs.push({ index, trial, repeat: r, seed: seed0 + r, uid: derivedUid(experimentUid, `run/${index}`) });
    }
  });
  return { experimentUid, trials, runs };
}

/**
 * A stable UUID-shaped id for a planned entity (name-based, like UUID v5 but SHA-256): the
 * coordinator, its workers and a resume all name the same trial and run the same way.
 */
export function derivedUid(experimentUid: string, what: string): string {
  const h = createHash("sha256").update(`${experimentUid}/${what}`).digest("hex");
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The label users see and type for a run: `<trial>-<repeat>` (also its folder name). */
export function runLabel(run: PlannedRun): string {
  return `${run.trial.name}-${run.repeat}`;
}

/**
 * Picks runs by `--only` specs: a trial name (all its repeats), `<trial>-<repeat>`, or the name
 * of a sweep entry of trials.yaml (all its trials). A trial name wins over the `-<n>` reading (a
 * trial may be called `lr-3`). Several specs may be comma-separated; a spec that is a name as a
 * whole is not split (sweep trials are called `lr_grid[lr=0.01,hidden=32]`). Returns plan
 * indices in plan order, without duplicates; throws with the valid choices when a spec matches
 * nothing.
 */
export function selectRuns(plan: ExperimentPlan, specs: readonly string[]): number[] {
  const chosen = new Set<number>();
  const pick = (raw: string): boolean => {
    const byTrial = plan.runs.filter((r) => r.trial.name === raw || r.trial.sweep?.name === raw);
    if (byTrial.length > 0) {
      for (const r of byTrial) chosen.add(r.index);
      return true;
    }
    const m = /^(.*)-(\d+)$/.exec(raw);
    const run = m ? plan.runs.find((r) => r.trial.name === m[1] && r.repeat === Number(m[2])) : undefined;
    if (run) chosen.add(run.index);
    return run !== undefined;
  };
  for (const spec of specs.map((s) => s.trim()).filter(Boolean)) {
    if (pick(spec)) continue;
    for (const raw of splitSpecs(spec)) {
      if (pick(raw)) continue;
      const m = /^(.*)-(\d+)$/.exec(raw);
      const trial = m ? plan.trials.find((t) => t.name === m[1]) : undefined;
      throw new PlanSelectionError(
        trial
          ? `--only '${raw}': trial '${trial.name}' has repeats 0-${trial.repeats - 1}`
          : `--only '${raw}': no trial of that name`,
      );
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

/** `a,b[x=1,y=2]-0` -> `a`, `b[x=1,y=2]-0`: commas inside brackets belong to a sweep trial's name. */
function splitSpecs(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of spec) {
    if (ch === "[") depth++;
    else if (ch === "]") depth = Math.max(0, depth - 1);
    if (ch === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

export class PlanSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanSelectionError";
  }
}
