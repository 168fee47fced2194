/**
 * Config parsing vs size (issue 13.5): time to validate a base.yaml of N keys (must grow
 * linearly), the hostile 2.4 KB file, and an alias bomb; with, for comparison, the yaml
 * library's own duplicate-key check (quadratic) that the validator used before.
 * Run: npx tsx test/bench/yaml-parse.ts
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import * as YAML from "yaml";
import { BUILTIN_TYPES } from "../../runtime/src/builtins/catalog";
import { validateConfigSet } from "../../runtime/src/config/validate";
import { aliasBomb, hostileBase, manyKeys } from "../../runtime/test/helpers/hostile-yaml";

const registry = {
  version: 1 as const,
  types: [...BUILTIN_TYPES, { name: "Train", kind: "pipeline" as const, params: {} }],
};

function median(f: () => void, runs = 3): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const validate = (text: string) => validateConfigSet({ base: { path: "/b/base.yaml", text } }, registry);
validate(manyKeys(2000)); // warm-up
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("keys      KB   validate ms   ms per 1k keys   yaml uniqueKeys:true parse ms (old)");
for (const n of [5_000, 10_000, 20_000, 40_000, 80_000]) {
  const text = manyKeys(n);
  const ms = median(() => validate(text));
  const old =
    n <= 10_000 ? median(() => YAML.parseDocument(text, { uniqueKeys: true }), 1).toFixed(0) : "(skipped: minutes)";
  console.log(
    `${String(n).padStart(6)} ${String(Math.round(text.length / 1024)).padStart(6)} ${ms.toFixed(0).padStart(12)} ${((ms / n) * 1000).toFixed(1).padStart(16)}   ${old}`,
  );
}
const hostile = hostileBase();
console.log(
  `hostile ${hostile.length} B (1,000 levels + 8x9 alias bomb): ${median(() => validate(hostile)).toFixed(1)} ms -> ${validate(
    hostile,
  )
    .map((d) => d.code)
    .join(", ")}`,
);
const bomb = `${aliasBomb()}pipeline:\n  type: Train\n`;
console.log(
  `alias bomb 8x9: ${median(() => validate(bomb)).toFixed(1)} ms -> ${validate(bomb)
    .map((d) => d.code)
    .join(", ")}`,
);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
