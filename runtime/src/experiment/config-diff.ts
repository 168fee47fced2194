import { isPlainObject } from "../config/merge";

/**
 * What changed between the config an experiment was planned with and the config folder now,
 * as one line per changed value: `base.yaml: optimizer.lr: 0.1 -> 0.01`. Values are compared
 * parsed (comments and formatting do not count).
 */

const FILE_OF: Record<string, string> = {
  env: "env.yaml",
  experiment: "experiment.yaml",
  base: "base.yaml",
  trials: "trials.yaml",
};

export function diffConfigs(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const role of Object.keys(FILE_OF))
    walk(before[role], after[role], [], (p, a, b) =>
      out.push(`${FILE_OF[role]}: ${p || "(whole file)"}: ${show(a)} -> ${show(b)}`),
    );
  return out;
}

function walk(
  a: unknown,
  b: unknown,
  at: (string | number)[],
  report: (path: string, a: unknown, b: unknown) => void,
): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], [...at, key], report);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...at, i], report);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) report(formatPath(at), a, b);
}

function formatPath(at: (string | number)[]): string {
  return at.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function show(value: unknown): string {
  if (value === undefined) return "(absent)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The config folder no longer matches the one the experiment was planned with. */
export class ConfigChangedError extends Error {
  constructor(
    readonly configDir: string,
    readonly changes: string[],
  ) {
    super(
      `The config in ${configDir} changed since this experiment was planned, so its runs cannot be continued:\n` +
        changes.map((c) => `  ${c}`).join("\n") +
        `\nRestore those values to continue it, or run the folder without --resume to start a new experiment.`,
    );
    this.name = "ConfigChangedError";
  }
}
