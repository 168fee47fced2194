/**
 * The arguments the extension adds to `expman run <dir>`: fail-fast, one trial, resume, and how
 * many runs of the experiment run at once (`--jobs`). Pure, so the test can check exactly what
 * is spawned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface RunOptions {
  failFast?: boolean;
  only?: string;
  resume?: boolean;
  /** Runs at once (`--jobs N`); undefined: as the folder says (env.yaml `parallel:`), else one after another. */
  jobs?: number;
}

export function runArgs(o: RunOptions): string[] {
  return [
    ...(o.failFast ? ["--fail-fast"] : []),
    ...(o.only ? ["--only", o.only] : []),
    ...(o.resume ? ["--resume"] : []),
    ...(o.jobs !== undefined ? ["--jobs", String(o.jobs)] : []),
  ];
}

/**
 * `--jobs` for an experiment: its own `parallel:` in env.yaml wins (the CLI reads it; nothing is
 * passed), else the setting `experimentManager.maxParallelRuns` when above 1 (1, the default,
 * keeps runs in the experiment's own process, as the CLI does without --jobs).
 */
export function jobsFor(configDir: string, maxParallelRuns: number): number | undefined {
  if (envParallel(configDir) !== undefined) return undefined;
  const n = Math.floor(maxParallelRuns);
  return Number.isFinite(n) && n > 1 ? n : undefined;
}

/** `parallel:` of the folder's env.yaml (any value: the CLI validates it and says what is wrong). */
export function envParallel(configDir: string): unknown {
  for (const name of ["env.yaml", "env.yml"]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(configDir, name), "utf8");
    } catch {
      continue;
    }
    try {
      const doc: unknown = parse(text);
      if (doc && typeof doc === "object" && "parallel" in doc)
        return (doc as { parallel: unknown }).parallel ?? undefined;
    } catch {
      /* a broken env.yaml: validation reports it before anything runs */
    }
    return undefined;
  }
  return undefined;
}
