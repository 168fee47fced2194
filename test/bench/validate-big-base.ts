/**
 * Validation of a big base.yaml under many trials (issue 13.5): a 40,000-key base.yaml (1.1 MB)
 * next to a 5,000-line trials.yaml (416 trials), through `validateConfigSet` as the language
 * server's worker and `expman validate` call it. Each trial's merged settings share the base's
 * entries (merged-entries.ts); before, the base was copied into every trial and this set never
 * finished. Prints cold and warm times for an open pipeline type (any key allowed) and a closed
 * one (all 40,000 keys reported unknown, once), the full copy on a slice of the trials for
 * comparison, and the load average. Asserts nothing.
 *
 *   npx tsx test/bench/validate-big-base.ts [keys=40000] [lines=5000]
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { validateConfigSet, type ConfigFileSet } from "../../runtime/src/config/validate";
import type { RegistryDescription } from "../../runtime/src/registry/schema";
import { configSet, trainRegistry } from "../../runtime/test/helpers/config-set";
import { manyKeys } from "../../runtime/test/helpers/hostile-yaml";
import { trialsYaml } from "../../runtime/test/helpers/trials-yaml";

const keys = Number(process.argv[2] ?? 40_000);
const lines = Number(process.argv[3] ?? 5000);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

const set = (base: string, trials: string) => configSet(base, trials, "/bench");
const registry = trainRegistry;

function time(files: ConfigFileSet, reg: RegistryDescription, copied = false): { ms: number; problems: number } {
  const t0 = performance.now();
  const problems = validateConfigSet(files, reg, copied ? { mergedSettings: "copied" } : {}).length;
  return { ms: performance.now() - t0, problems };
}

const base = manyKeys(keys);
const trials = trialsYaml(lines);
const files = set(base, trials);
const trialCount = trials.split("\n").filter((l) => l.startsWith("- ")).length;
console.log(
  `base.yaml ${keys} keys (${(base.length / 1024).toFixed(0)} KB), trials.yaml ${lines} lines (${trialCount} trials, ${(trials.length / 1024).toFixed(0)} KB)`,
);
for (const closed of [false, true]) {
  const runs = [time(files, registry(closed))];
  for (let i = 0; i < 3; i++) runs.push(time(files, registry(closed)));
  const warm = runs.slice(1).map((r) => r.ms);
  console.log(
    `${closed ? "closed" : "open  "} pipeline type: cold ${runs[0].ms.toFixed(0)} ms, warm min ${Math.min(...warm).toFixed(0)} ms / max ${Math.max(...warm).toFixed(0)} ms; ${runs[0].problems} problems; load ${load()}`,
  );
}
// The full copy, on 10 trials only (at 416 it does not finish in minutes).
const slice = set(base, trialsYaml(120));
const shared = time(slice, registry(false));
const copied = time(slice, registry(false), true);
console.log(
  `10 trials, open type: shared ${shared.ms.toFixed(0)} ms, full copy per trial ${copied.ms.toFixed(0)} ms; load ${load()}`,
);
