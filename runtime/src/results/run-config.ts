/**
 * The config a run used, rebuilt from what its experiment stored when it was planned (the four
 * files, parsed): its trial is found the way the plan named it (trial uid from the experiment's
 * uid and the trial's position after sweeps are expanded), so two trials of the same name, or a
 * sweep's trials, are told apart.
 */
import { isPlainObject } from "../config/merge";
import { expandTrials } from "../config/sweep";
import { buildPlan } from "../experiment/plan";
import type { RunConfig } from "./contract";

export function configOfTrial(
  stored: unknown,
  experimentUid: string,
  trialUid: string,
  trialName: string,
  runId: number,
): RunConfig | null {
  if (!isPlainObject(stored)) return null;
  const { env, experiment, base, trials } = stored as Record<string, unknown>;
  let plan;
  try {
    plan = buildPlan(experimentUid, base, expandTrials(Array.isArray(trials) ? trials : [], base));
  } catch {
    return null; // a config this expman cannot expand (it was validated by the one that ran it)
  }
  const trial = plan.trials.find((t) => t.uid === trialUid) ?? plan.trials.find((t) => t.name === trialName);
  if (!trial) return null;
  return {
    runId,
    trial: trial.name,
    env: env ?? null,
    experiment: experiment ?? null,
    settings: trial.settings,
    ...(trial.args ? { args: trial.args } : {}),
  };
}
