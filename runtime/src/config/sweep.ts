/**
 * Sweeps in trials.yaml: a trial entry with `sweep:` stands for many trials, one per point of
 * a grid or per random sample, each with the entry's `repeat`.
 *
 * ```yaml
 * - name: lr_grid
 *   repeat: 2
 *   settings: { pipeline: { epochs: 20 } }     # optional: fixed overrides for every point
 *   sweep:
 *     method: grid                             # grid (default) | random
 *     params:
 *       optimizer.lr: [0.01, 0.1]              # a list: its values
 *       pipeline.hidden: { int: [16, 18] }     # int ranges are inclusive
 * - name: lr_random
 *   repeat: 1
 *   sweep:
 *     method: random
 *     samples: 8                               # required for random
 *     seed: 7                                  # optional, 0 when absent
 *     params:
 *       optimizer.lr: { loguniform: [0.0001, 0.1] }
 *       optimizer.momentum: { uniform: [0.8, 0.99] }
 *       pipeline.hidden: { choice: [16, 32, 64] }
 * ```
 *
 * Pure and native-free, one definition of the rules for three callers: `parseSweep` reports
 * problems through a callback with the path inside the `sweep:` value (the validator turns it
 * into file:line:col, the language server into diagnostics), and `expandTrials` turns the
 * plain trials list into the trials the plan runs. Expansion is deterministic: grid points in
 * the written order (first parameter outermost), random samples from `SeededRandom(seed)`
 * (integer arithmetic only) with floats rounded to 4 significant digits, so a trial's name
 * says exactly what it ran and the same file gives the same trials on any machine.
 */
import { MAX_NAME_LENGTH } from "../common/names";
import type { ParamsSchema } from "../registry/schema";
import { SeededRandom } from "../common/random";
import { deepClone, deepMergeConfigs, isPlainObject } from "./merge";

export const SWEEP_METHODS = ["grid", "random"] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** The distributions a parameter may take, with the arguments each reads (for docs and completion). */
export const SWEEP_DISTRIBUTIONS = {
  choice: { args: "[a, b, ...]", description: "One of the listed values (a plain list means the same)." },
  uniform: { args: "[low, high]", description: "A float drawn uniformly in [low, high] (random only)." },
  loguniform: {
    args: "[low, high]",
    description: "A float whose logarithm is uniform in [log low, log high]; both bounds > 0 (random only).",
  },
  int: { args: "[low, high]", description: "An integer in [low, high], both included (a grid takes every one)." },
} as const;
export type SweepDistributionName = keyof typeof SWEEP_DISTRIBUTIONS;
export const SWEEP_DISTRIBUTION_NAMES = Object.keys(SWEEP_DISTRIBUTIONS) as SweepDistributionName[];

/** The keys of a `sweep:` mapping (docs, completion, hover; the rules are in parseSweep). */
export const SWEEP_KEYS: ParamsSchema = {
  method: {
    type: "string",
    enum: SWEEP_METHODS,
    default: "grid",
    description: "`grid` (every combination of the listed values, the default) or `random` (`samples` draws).",
  },
  params: {
    type: "object",
    required: true,
    description:
      "The settings to vary, by dotted path (`optimizer.lr`, `pipeline.hidden`), each with a list of values or one distribution: `{ choice: [...] }`, `{ uniform: [low, high] }`, `{ loguniform: [low, high] }`, `{ int: [low, high] }`.",
  },
  samples: {
    type: "integer",
    minimum: 1,
    description: "How many trials a random sweep draws (required for `method: random`).",
  },
  seed: {
    type: "integer",
    default: 0,
    description: "Seed of a random sweep: the same seed gives the same trials on any machine.",
  },
};

/** The distributions as keys of a parameter's mapping (completion and hover). */
export const SWEEP_DISTRIBUTION_KEYS: ParamsSchema = Object.fromEntries(
  SWEEP_DISTRIBUTION_NAMES.map((name) => [
    name,
    {
      type: "list",
      description: `\`${name}: ${SWEEP_DISTRIBUTIONS[name].args}\`: ${SWEEP_DISTRIBUTIONS[name].description}`,
    },
  ]),
);

/** Largest number of trials one sweep may expand to: a typo (a grid of 10^9) must not hang. */
export const MAX_SWEEP_TRIALS = 100_000;

export type SweepDistribution =
  { kind: "values"; values: unknown[] } | { kind: "uniform" | "loguniform" | "int"; low: number; high: number };

export interface SweepParam {
  /** As written (`optimizer.lr`). */
  path: string;
  segments: string[];
  dist: SweepDistribution;
}

export interface Sweep {
  method: SweepMethod;
  /** Random: the number of draws; grid: the number of points. */
  size: number;
  seed: number;
  params: SweepParam[];
}

/** Where in the `sweep:` value a problem is (keys and list indices), and whether on the key. */
export interface SweepProblem {
  at: (string | number)[];
  onKey?: boolean;
  message: string;
  suggestion?: string;
}

/** Answers whether a dotted path names a setting; a message saying why not otherwise. */
export type SettingCheck = (segments: string[]) => { problem: string; suggestion?: string } | undefined;

function finiteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function parseDistribution(
  raw: unknown,
  method: SweepMethod,
  at: (string | number)[],
  report: (p: SweepProblem) => void,
): SweepDistribution | undefined {
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      report({ at, message: "An empty list of values: give at least one value, or remove this parameter." });
      return undefined;
    }
    return { kind: "values", values: raw };
  }
  const names = SWEEP_DISTRIBUTION_NAMES.join(", ");
  if (!isPlainObject(raw)) {
    report({
      at,
      message: `Give a list of values ([0.01, 0.1]) or one distribution ({ loguniform: [0.0001, 0.1] }); distributions: ${names}.`,
    });
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1 || !(SWEEP_DISTRIBUTION_NAMES as string[]).includes(keys[0])) {
    const unknown = keys.find((k) => !(SWEEP_DISTRIBUTION_NAMES as string[]).includes(k));
    if (unknown !== undefined) {
      report({
        at: [...at, unknown],
        onKey: true,
        message: `Unknown distribution '${unknown}': use one of ${names} (e.g. { loguniform: [0.0001, 0.1] }).`,
        suggestion: closestDistribution(unknown),
      });
    } else {
      report({ at, message: `One distribution per parameter, got ${keys.length}: ${keys.join(", ")}.` });
    }
    return undefined;
  }
  const name = keys[0] as SweepDistributionName;
  const args = raw[name];
  const argAt = [...at, name];
  if (name === "choice") {
    if (!Array.isArray(args) || args.length === 0) {
      report({ at: argAt, message: "'choice' takes a non-empty list of values: { choice: [16, 32, 64] }." });
      return undefined;
    }
    return { kind: "values", values: args };
  }
  if (!Array.isArray(args) || args.length !== 2 || !finiteNumber(args[0]) || !finiteNumber(args[1])) {
    report({
      at: argAt,
      message: `'${name}' takes two numbers, ${SWEEP_DISTRIBUTIONS[name].args}: e.g. { ${name}: ${example(name)} }.`,
    });
    return undefined;
  }
  const [low, high] = args as [number, number];
  if (low > high) {
    report({ at: argAt, message: `'${name}': low (${low}) is greater than high (${high}); write [${high}, ${low}].` });
    return undefined;
  }
  if (name === "int" && (!Number.isInteger(low) || !Number.isInteger(high))) {
    report({ at: argAt, message: `'int' takes two integers, [low, high] (both included), got [${low}, ${high}].` });
    return undefined;
  }
  if (name === "loguniform" && low <= 0) {
    report({
      at: [...argAt, 0],
      message: `'loguniform' needs bounds > 0 (it draws the logarithm), got ${low}; use a small positive low such as 1e-6, or 'uniform'.`,
    });
    return undefined;
  }
  if (method === "grid" && (name === "uniform" || name === "loguniform")) {
    report({
      at: [...at, name],
      onKey: true,
      message: `A grid needs values it can list, and '${name}' is continuous: list the values ([0.001, 0.01, 0.1]) or use 'method: random' with 'samples'.`,
    });
    return undefined;
  }
  return { kind: name, low, high };
}

function example(name: SweepDistributionName): string {
  return name === "int" ? "[1, 4]" : name === "loguniform" ? "[0.0001, 0.1]" : "[0, 0.5]";
}

function closestDistribution(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/[_-]/g, "");
  const aliases: Record<string, SweepDistributionName> = {
    loguniform: "loguniform",
    logunif: "loguniform",
    log: "loguniform",
    uniform: "uniform",
    unif: "uniform",
    randint: "int",
    integer: "int",
    range: "int",
    choices: "choice",
    values: "choice",
    categorical: "choice",
  };
  return aliases[lower] ?? SWEEP_DISTRIBUTION_NAMES.find((d) => d.startsWith(lower.slice(0, 3)));
}

/** The number of values a grid takes from a distribution. */
function gridCount(dist: SweepDistribution): number {
  return dist.kind === "values" ? dist.values.length : dist.high - dist.low + 1;
}

/**
 * Reads a `sweep:` value. Every problem goes to `report` (with where it is); returns the sweep
 * when it can be expanded. `isSetting` checks each parameter path (omit it to skip the check).
 */
export function parseSweep(
  raw: unknown,
  report: (p: SweepProblem) => void,
  isSetting?: SettingCheck,
): Sweep | undefined {
  if (!isPlainObject(raw)) {
    report({
      at: [],
      message: "'sweep' must be a mapping: { method: grid|random, params: { optimizer.lr: [0.01, 0.1] } }.",
    });
    return undefined;
  }
  let ok = true;
  const fail = (p: SweepProblem) => {
    ok = false;
    report(p);
  };
  for (const key of Object.keys(raw)) {
    if (!(key in SWEEP_KEYS)) {
      const known = Object.keys(SWEEP_KEYS);
      const guess = known.find((k) => k.startsWith(key.slice(0, 3).toLowerCase()));
      fail({
        at: [key],
        onKey: true,
        message: `Unknown key '${key}' in 'sweep': use ${known.join(", ")}.${guess ? ` Did you mean '${guess}'?` : ""}`,
        suggestion: guess,
      });
    }
  }
  let method: SweepMethod = "grid";
  if (raw.method !== undefined && raw.method !== null) {
    if (raw.method === "grid" || raw.method === "random") method = raw.method;
    else {
      fail({
        at: ["method"],
        message: `Unknown sweep method ${JSON.stringify(raw.method)}: use 'grid' (every combination) or 'random' (with 'samples').`,
      });
      return undefined;
    }
  }
  let seed = 0;
  if (method === "random") {
    if (raw.samples === undefined || raw.samples === null) {
      fail({
        at: [],
        message: "A random sweep needs 'samples': how many trials to draw (e.g. 'samples: 16').",
      });
    } else if (!Number.isInteger(raw.samples) || (raw.samples as number) < 1) {
      fail({ at: ["samples"], message: `'samples' must be a whole number >= 1, got ${JSON.stringify(raw.samples)}.` });
    } else if ((raw.samples as number) > MAX_SWEEP_TRIALS) {
      fail({ at: ["samples"], message: `'samples' is above ${MAX_SWEEP_TRIALS}: split the sweep.` });
    }
    if (raw.seed !== undefined && raw.seed !== null) {
      if (Number.isInteger(raw.seed)) seed = raw.seed as number;
      else fail({ at: ["seed"], message: `'seed' must be a whole number, got ${JSON.stringify(raw.seed)}.` });
    }
  } else {
    for (const key of ["samples", "seed"] as const) {
      if (raw[key] !== undefined)
        fail({
          at: [key],
          onKey: true,
          message: `'${key}' is for 'method: random'; a grid takes every combination. Remove it, or add 'method: random'.`,
        });
    }
  }
  const params: SweepParam[] = [];
  const rawParams = raw.params;
  if (!isPlainObject(rawParams) || Object.keys(rawParams).length === 0) {
    fail({
      at: rawParams === undefined ? [] : ["params"],
      message: "A sweep needs 'params': the settings to vary, by dotted path (params: { optimizer.lr: [0.01, 0.1] }).",
    });
    return undefined;
  }
  const seen = new Map<string, string>();
  for (const [path, value] of Object.entries(rawParams)) {
    const at = ["params", path];
    const segments = path.split(".");
    if (segments.some((s) => s.trim() === "")) {
      fail({ at, onKey: true, message: `'${path}' is not a settings path: write keys joined by dots (optimizer.lr).` });
      continue;
    }
    const key = segments.join(".");
    if (seen.has(key)) {
      fail({ at, onKey: true, message: `'${path}' is swept twice in this sweep.` });
      continue;
    }
    seen.set(key, path);
    const overlap = [...seen.keys()].find((k) => k !== key && (k.startsWith(`${key}.`) || key.startsWith(`${k}.`)));
    if (overlap) {
      fail({ at, onKey: true, message: `'${path}' and '${overlap}' overlap: one is inside the other. Sweep one.` });
      continue;
    }
    const notSetting = isSetting?.(segments);
    if (notSetting) {
      fail({ at, onKey: true, message: notSetting.problem, suggestion: notSetting.suggestion });
      continue;
    }
    const dist = parseDistribution(value, method, at, fail);
    if (dist) params.push({ path, segments, dist });
  }
  if (!ok) return undefined;
  const size = method === "random" ? (raw.samples as number) : params.reduce((n, p) => n * gridCount(p.dist), 1);
  if (size > MAX_SWEEP_TRIALS) {
    report({
      at: ["params"],
      onKey: true,
      message: `This grid has ${size} points, above ${MAX_SWEEP_TRIALS}: list fewer values, or use 'method: random' with 'samples'.`,
    });
    return undefined;
  }
  return { method, size, seed, params };
}

/** Rounds a sampled float to 4 significant digits (see the module comment). */
function round4(x: number, low: number, high: number): number {
  const r = Number(x.toPrecision(4));
  return Math.min(high, Math.max(low, r));
}

/** The points of a sweep: one record per trial, path -> value, in the deterministic order. */
export function sweepPoints(sweep: Sweep): Record<string, unknown>[] {
  const points: Record<string, unknown>[] = [];
  if (sweep.method === "random") {
    const rng = new SeededRandom(sweep.seed);
    for (let i = 0; i < sweep.size; i++) {
      const point: Record<string, unknown> = {};
      for (const p of sweep.params) {
        const d = p.dist;
        if (d.kind === "values") point[p.path] = deepClone(d.values[rng.int(0, d.values.length)]);
        else if (d.kind === "int") point[p.path] = rng.int(d.low, d.high + 1);
        else if (d.kind === "uniform") point[p.path] = round4(d.low + rng.random() * (d.high - d.low), d.low, d.high);
        else {
          const lo = Math.log(d.low);
          point[p.path] = round4(Math.exp(lo + rng.random() * (Math.log(d.high) - lo)), d.low, d.high);
        }
      }
      points.push(point);
    }
    return points;
  }
  const axes = sweep.params.map((p) =>
    p.dist.kind === "values"
      ? p.dist.values
      : Array.from(
          { length: (p.dist as { high: number }).high - (p.dist as { low: number }).low + 1 },
          (_, i) => (p.dist as { low: number }).low + i,
        ),
  );
  const walk = (k: number, point: Record<string, unknown>) => {
    if (k === axes.length) {
      points.push({ ...point });
      return;
    }
    for (const v of axes[k]) {
      point[sweep.params[k].path] = deepClone(v);
      walk(k + 1, point);
    }
  };
  walk(0, {});
  return points;
}

/** Short labels for the paths: the last key, or as many trailing keys as make it unique. */
function pathLabels(paths: string[]): string[] {
  const parts = paths.map((p) => p.split("."));
  return parts.map((segs, i) => {
    for (let n = 1; n <= segs.length; n++) {
      const label = segs.slice(-n).join(".");
      const clash = parts.some((other, j) => j !== i && other.slice(-n).join(".") === label);
      if (!clash) return label;
    }
    return segs.join(".");
  });
}

/** Characters kept in names: safe in file names on Linux, macOS and Windows, and in shells. */
const UNSAFE = /[^A-Za-z0-9._+=@-]/g;

function valueLabel(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(valueLabel).join("_");
  if (isPlainObject(v))
    return Object.entries(v)
      .map(([k, x]) => `${k}_${valueLabel(x)}`)
      .join("_");
  return String(v);
}

/** A short FNV-1a hash, for names that had to be cut. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(7, "0").slice(0, 6);
}

/**
 * The names of a sweep's trials: `<entry>[lr=0.01,hidden=32]` (the entry's name, then each
 * swept value under its short label). One safe file-name segment of at most MAX_NAME_LENGTH
 * characters; a cut name ends with a hash of the whole, a repeated one (a random draw seen
 * before) with `~2`, `~3`... Stable: the same sweep always gives the same names.
 */
export function sweepTrialNames(entryName: string, sweep: Sweep, points: Record<string, unknown>[]): string[] {
  const labels = pathLabels(sweep.params.map((p) => p.path));
  const used = new Map<string, number>();
  return points.map((point) => {
    const body = sweep.params.map((p, i) => `${labels[i]}=${valueLabel(point[p.path])}`.replace(UNSAFE, "_")).join(",");
    let name = `${entryName}[${body}]`;
    if (name.length > MAX_NAME_LENGTH) {
      const tail = `~${shortHash(body)}]`;
      name = `${entryName}[${body}`.slice(0, MAX_NAME_LENGTH - tail.length) + tail;
    }
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return n === 1 ? name : `${name}~${n}`;
  });
}

/** Writes `value` at a dotted path of a settings object (lists indexed by number). */
function setPath(settings: Record<string, unknown>, segments: string[], value: unknown): void {
  let node: unknown = settings;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i];
    const container = node as Record<string, unknown> | unknown[];
    const next = Array.isArray(container) ? container[Number(seg)] : container[seg];
    if (isPlainObject(next) || Array.isArray(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      if (Array.isArray(container)) container[Number(seg)] = created;
      else container[seg] = created;
      node = created;
    }
  }
  const last = segments[segments.length - 1];
  if (Array.isArray(node)) node[Number(last)] = value;
  else (node as Record<string, unknown>)[last] = value;
}

/** What a trials.yaml entry expanded to: the fields of a trial entry, plus where it came from. */
export interface ExpandedTrial extends Record<string, unknown> {
  name: string;
  repeat: unknown;
  settings: unknown;
  args?: unknown;
  /** Set on trials made by a sweep: the entry's name, the point's index and its values. */
  sweep?: { name: string; index: number; values: Record<string, unknown> };
}

/** Thrown by expandTrials on a sweep the validator would have refused (callers validate first). */
export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepError";
  }
}

/**
 * The trials a trials.yaml list stands for: entries without `sweep:` as written, each sweep
 * entry replaced by its trials (in place, in order), whose `settings` are base.yaml merged with
 * the entry's `settings` and the point's values (merging base.yaml again later changes nothing).
 */
export function expandTrials(entries: readonly unknown[], base: unknown): ExpandedTrial[] {
  const out: ExpandedTrial[] = [];
  for (const entry of entries) {
    if (!isPlainObject(entry) || entry.sweep === undefined) {
      out.push(entry as ExpandedTrial);
      continue;
    }
    const problems: string[] = [];
    const sweep = parseSweep(entry.sweep, (p) => problems.push(`${["sweep", ...p.at].join(".")}: ${p.message}`));
    if (!sweep) throw new SweepError(`Trial '${String(entry.name)}': ${problems.join("; ")}`);
    const points = sweepPoints(sweep);
    const names = sweepTrialNames(String(entry.name), sweep, points);
    const merged = deepMergeConfigs(base, entry.settings);
    points.forEach((point, index) => {
      const settings = deepClone(merged);
      for (const p of sweep.params) setPath(settings, p.segments, deepClone(point[p.path]));
      const { sweep: _spec, ...rest } = entry;
      out.push({
        ...rest,
        name: names[index],
        repeat: entry.repeat,
        settings,
        sweep: { name: String(entry.name), index, values: point },
      });
    });
  }
  return out;
}

/** Trials and runs a trials.yaml list plans, without drawing anything (the CLI, the editor). */
export function plannedCounts(entries: unknown): { trials: number; runs: number; sweeps: number } {
  let trials = 0;
  let runs = 0;
  let sweeps = 0;
  if (!Array.isArray(entries)) return { trials, runs, sweeps };
  for (const entry of entries) {
    if (!isPlainObject(entry)) continue;
    const repeat = Number.isInteger(entry.repeat) && (entry.repeat as number) > 0 ? (entry.repeat as number) : 0;
    let n = 1;
    if (entry.sweep !== undefined) {
      n = parseSweep(entry.sweep, () => {})?.size ?? 0;
      sweeps++;
    }
    trials += n;
    runs += n * repeat;
  }
  return { trials, runs, sweeps };
}
