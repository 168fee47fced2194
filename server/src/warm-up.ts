/**
 * Validations of a small synthetic config set, run before real files arrive (on the main
 * thread at `initialize`, and in the validation worker when it starts): the parser and the
 * checks are compiled by the time the user opens a real, maybe large, file.
 */
import {
  TrialsParseCache,
  validateConfigSet,
  type ConfigFileSet,
  type RegistryDescription,
} from "@expman/runtime/contracts";

const TRIAL =
  "- name: t{i}\n  repeat: 1\n  settings:\n    seed: {i}\n    pipeline:\n      type: P\n      lr: 0.1\n      callbacks:\n        - type: EarlyStopping\n          metric: val_los\n          patience: 2\n";
/** 150 trials of 11 lines (the cursor features warm up on it too). */
export const WARM_UP_TRIALS = Array.from({ length: 150 }, (_, i) => TRIAL.replace(/\{i\}/g, String(i))).join("");

export function warmUpValidation(registry: RegistryDescription): void {
  const files: ConfigFileSet = {
    env: { path: "/warm-up/env.yaml", text: "workspace: out\ntrackers:\n  - type: DBTracker\n    name: x.db\n" },
    experiment: { path: "/warm-up/experiment.yaml", text: "name: w\ndesc: w\n" },
    base: { path: "/warm-up/base.yaml", text: "pipeline:\n  type: P\n" },
    trials: { path: "/warm-up/trials.yaml", text: WARM_UP_TRIALS },
  };
  // Through a throwaway trials cache: the trial-by-trial path a real trials.yaml takes.
  for (let i = 0; i < 2; i++) validateConfigSet(files, registry, { trialsCache: new TrialsParseCache() });
}
