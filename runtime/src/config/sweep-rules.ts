/**
 * The validator's side of sweeps: runs the one set of sweep rules (sweep.ts, `parseSweep`) on
 * a trial's located `sweep:` value and reports each problem on the node it names, with a
 * settings-path check against the trial's merged settings (base.yaml + the trial's
 * `settings`) and the pipeline's declared parameters. Pure: no I/O, no state between calls.
 */
import { closestNames } from "../registry/suggest";
import { isPlainObject } from "./merge";
import type { ParamsSchema } from "../registry/schema";
import { parseLocated, positionAt, sourceFile, toPlain, type LValue } from "./located";
import { plain, type Validator } from "./rules";
import { SETTINGS_KEYS } from "./sections";
import { parseSweep, type SettingCheck, type Sweep, type SweepProblem } from "./sweep";

/** A settings path a sweep may name, with its value in the merged settings (absent for a declared parameter). */
export interface SettingPath {
  path: string;
  value?: unknown;
  /** A mapping (a sweep usually varies the values below it). */
  isMap: boolean;
}

/**
 * Every settings path a sweep may name: the merged settings' keys at any depth (list items by
 * index), `seed`, and the pipeline's declared parameters. Plain values in, so the validator
 * (located values, `toPlain`) and the editor's completion (texts read as they are) share it.
 */
export function settingEntries(merged: unknown, pipelineParams: ParamsSchema | undefined): SettingPath[] {
  const out = new Map<string, SettingPath>();
  const walk = (node: unknown, prefix: string, depth: number) => {
    const isMap = isPlainObject(node);
    if (prefix) out.set(prefix, { path: prefix, value: node, isMap });
    if (depth > 12) return;
    if (isMap) for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k, depth + 1);
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${prefix}.${i}`, depth + 1));
  };
  walk(merged, "", 0);
  for (const key of Object.keys(SETTINGS_KEYS))
    if (!out.has(key)) out.set(key, { path: key, isMap: SETTINGS_KEYS[key].type === "object" });
  for (const key of Object.keys(pipelineParams ?? {}))
    if (!out.has(`pipeline.${key}`)) out.set(`pipeline.${key}`, { path: `pipeline.${key}`, isMap: false });
  return [...out.values()];
}

/** The paths of values (not of mappings) a sweep may name: what a typo is compared with. */
export function settingPaths(merged: unknown, pipelineParams: ParamsSchema | undefined): string[] {
  return settingEntries(merged, pipelineParams)
    .filter((e) => !e.isMap)
    .map((e) => e.path);
}

/** The setting the user most likely meant by an unknown path: a close one, or one with the same last key. */
function closestSetting(path: string, leaves: string[]): string | undefined {
  const depth = path.split(".").length;
  const close = [
    ...closestNames(
      path,
      leaves.filter((p) => p.split(".").length === depth),
      1,
    ),
    ...closestNames(path, leaves, 1),
  ];
  if (close.length) return close[0];
  const last = path.split(".").pop()!;
  return leaves.find((p) => p.split(".").pop() === last);
}

/** The SettingCheck of a trial: a path must lead to a key that its merged settings have. */
export function settingCheck(merged: LValue | undefined, pipelineParams: ParamsSchema | undefined): SettingCheck {
  return (segments) => {
    const path = segments.join(".");
    if (segments.length === 1 && segments[0] in SETTINGS_KEYS) return undefined;
    if (segments.length === 2 && segments[0] === "pipeline" && pipelineParams && segments[1] in pipelineParams)
      return undefined;
    let node = merged;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const where = i === 0 ? "the settings" : `'${segments.slice(0, i).join(".")}'`;
      let next: LValue | undefined;
      if (node?.kind === "map") next = node.entries.get(seg)?.value;
      else if (node?.kind === "seq") next = /^\d+$/.test(seg) ? node.items[Number(seg)] : undefined;
      else if (node) {
        return {
          problem: `'${path}' is not a setting: ${where} is a value (${JSON.stringify(plain(node))}), not a mapping with '${seg}'.`,
        };
      }
      if (!next) {
        const close = closestSetting(path, settingPaths(merged ? toPlain(merged) : undefined, pipelineParams));
        const hint = close ? ` Did you mean '${close}'?` : "";
        const missing = node?.kind === "seq" ? `has no item ${seg}` : `has no key '${seg}'`;
        return {
          problem: `'${path}' is not a setting: ${i === 0 ? `neither base.yaml nor this trial's settings have a key '${seg}'` : `${where} ${missing} (in base.yaml or this trial's settings)`}.${hint} To sweep a new setting, give it a default value in base.yaml first.`,
          suggestion: close,
        };
      }
      node = next;
    }
    return undefined;
  };
}

/** The located node a problem path names (the deepest that exists), and its key when asked. */
function locate(root: LValue, at: (string | number)[]): LValue {
  let node = root;
  for (const seg of at) {
    let next: LValue | undefined;
    if (node.kind === "map") next = node.entries.get(String(seg))?.value;
    else if (node.kind === "seq" && typeof seg === "number") next = node.items[seg];
    if (!next) break;
    node = next;
  }
  return node;
}

/**
 * Checks a trial's `sweep:` against the rules and its merged settings; returns the sweep when
 * it is valid (its size is what the trial plans). Swept values of declared pipeline parameters
 * are checked against their schema, each on the value the user wrote.
 */
export function checkSweep(
  v: Validator,
  sweepValue: LValue,
  merged: LValue | undefined,
  pipelineParams: ParamsSchema | undefined,
  metrics: readonly string[] = [],
): Sweep | undefined {
  const report = (p: SweepProblem) => {
    const node = locate(sweepValue, p.at);
    const data = p.suggestion ? { suggestion: p.suggestion } : undefined;
    if (p.onKey && node.keyStart !== undefined)
      v.out.add(node.file, node.keyStart, node.keyEnd ?? node.keyStart, "error", "bad-sweep", p.message, data);
    else v.out.onValue(node, "error", "bad-sweep", p.message, data);
  };
  const sweep = parseSweep(toPlain(sweepValue), report, settingCheck(merged, pipelineParams));
  if (!sweep || !pipelineParams || sweepValue.kind !== "map") return sweep;
  const params = sweepValue.entries.get("params")?.value;
  if (params?.kind !== "map") return sweep;
  for (const p of sweep.params) {
    if (p.segments.length !== 2 || p.segments[0] !== "pipeline") continue;
    const schema = pipelineParams[p.segments[1]];
    const written = params.entries.get(p.path)?.value;
    if (!schema || !written) continue;
    const list =
      written.kind === "seq" ? written : written.kind === "map" ? [...written.entries.values()][0]?.value : undefined;
    if (list?.kind !== "seq") continue;
    if (schema.type === "integer" && (p.dist.kind === "uniform" || p.dist.kind === "loguniform")) {
      report({
        at: ["params", p.path, p.dist.kind],
        onKey: true,
        message: `'${p.path}' is an integer parameter, and '${p.dist.kind}' draws fractions: use { int: [low, high] }.`,
      });
      continue;
    }
    for (const item of list.items) v.checkValue(item, schema, `'${p.path}'`, metrics);
  }
  return sweep;
}

/** A sweep entry of trials.yaml with what it plans: for the editor's CodeLens and `expman validate`. */
export interface SweepSummary {
  /** The entry's `name`. */
  name: string;
  /** 0-based line of its `sweep:` key. */
  line: number;
  /** The entry's `repeat`, when it is a whole number >= 0. */
  repeat?: number;
  /** Trials it expands to, and runs (trials x repeat); undefined when the sweep has a problem. */
  trials?: number;
  runs?: number;
}

/**
 * The sweep entries of a trials.yaml text and what each plans, read without the rest of the
 * config set (a lens must not wait for base.yaml): a sweep the rules refuse has no counts.
 */
export function sweepSummaries(path: string, text: string): SweepSummary[] {
  const file = sourceFile("trials", path, text);
  const root = parseLocated(file).root;
  if (root?.kind !== "seq") return [];
  const out: SweepSummary[] = [];
  for (const item of root.items) {
    const sweep = item.kind === "map" ? item.entries.get("sweep") : undefined;
    if (!sweep || item.kind !== "map") continue;
    const name = plain(item.entries.get("name")?.value ?? sweep.value);
    const parsed = parseSweep(toPlain(sweep.value), () => {});
    const repeat = plain(item.entries.get("repeat")?.value ?? sweep.value);
    const repeats = Number.isInteger(repeat) && (repeat as number) >= 0 ? (repeat as number) : undefined;
    out.push({
      name: typeof name === "string" ? name : "",
      line: positionAt(sweep.keyFile, sweep.keyStart).line,
      ...(repeats !== undefined ? { repeat: repeats } : {}),
      ...(parsed && repeats !== undefined ? { trials: parsed.size, runs: parsed.size * repeats } : {}),
    });
  }
  return out;
}
