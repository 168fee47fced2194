/**
 * "Compare settings" of two runs: every leaf of their configs (env.yaml, experiment.yaml, the
 * merged trial settings and args) by path, and the ones whose values differ. Lists compare as
 * whole values (a changed layer list is one difference, not one per index). Imports nothing:
 * the extension host bundles it.
 */
import type { RunConfig, SettingDifference } from "./contract";

const PARTS: [keyof RunConfig, string][] = [
  ["settings", "settings"],
  ["args", "args"],
  ["env", "env.yaml"],
  ["experiment", "experiment.yaml"],
];

function leaves(value: unknown, at: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && at) out.set(at, {});
    for (const [k, v] of entries) leaves(v, at ? `${at}.${k}` : k, out);
    return;
  }
  out.set(at, value);
}

export function diffRunConfigs(a: RunConfig, b: RunConfig): { differences: SettingDifference[]; same: number } {
  const differences: SettingDifference[] = [];
  let same = 0;
  for (const [part, label] of PARTS) {
    const la = new Map<string, unknown>();
    const lb = new Map<string, unknown>();
    leaves(a[part] ?? {}, "", la);
    leaves(b[part] ?? {}, "", lb);
    const paths = [...new Set([...la.keys(), ...lb.keys()])].sort();
    for (const p of paths) {
      const inA = la.has(p);
      const inB = lb.has(p);
      const path = `${label}: ${p || "(whole)"}`;
      if (inA && inB && JSON.stringify(la.get(p)) === JSON.stringify(lb.get(p))) same++;
      else differences.push({ path, ...(inA ? { a: la.get(p) } : {}), ...(inB ? { b: lb.get(p) } : {}) });
    }
  }
  return { differences, same };
}
