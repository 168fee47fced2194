/** Which folders are experiment config folders, and what the experiment is called. No `vscode`. */
import * as fs from "node:fs";
import * as path from "node:path";

export const CONFIG_FILE = /^(env|experiment|base|trials)\.ya?ml$/i;
const ROLES = ["env", "experiment", "base", "trials"] as const;

/** Roles present in `dir` (`.yaml` or `.yml`). */
export function configRolesIn(dir: string): string[] {
  return ROLES.filter((r) => fs.existsSync(path.join(dir, `${r}.yaml`)) || fs.existsSync(path.join(dir, `${r}.yml`)));
}

/**
 * The copy of the configs a run keeps in its workspace (`<ws>/configs`, beside `<ws>/logs`):
 * a record of what ran, not something to run again or to offer in the run picker.
 */
export function isRunCopy(dir: string): boolean {
  return path.basename(dir) === "configs" && fs.existsSync(path.join(path.dirname(dir), "logs"));
}

/**
 * A config folder holds at least two of the four files (a lone env.yaml may be another
 * tool's) and is not a run's copy of them.
 */
export function isConfigFolder(dir: string): boolean {
  return configRolesIn(dir).length >= 2 && !isRunCopy(dir);
}

/** The config folder of a file or folder path, if it is (in) one. */
export function configFolderOf(fsPath: string): string | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(fsPath);
  } catch {
    return undefined;
  }
  const dir = stat.isDirectory() ? fsPath : path.dirname(fsPath);
  if (!stat.isDirectory() && !CONFIG_FILE.test(path.basename(fsPath))) return undefined;
  return isConfigFolder(dir) ? dir : undefined;
}

/**
 * Whether a YAML document looks like an experiment config, cheaply (its name, then the first
 * 8 KB of text): one of the four file names (also `<prefix>.trials.yaml`), or the top-level keys
 * of one (`pipeline:`, `trackers:`, `imports:`), or a trials list (`- name:` with `repeat:` or
 * `settings:`). Decides when the language server is worth starting.
 */
export function looksLikeExperimentConfig(fileName: string, text: string): boolean {
  const base = path.basename(fileName);
  if (CONFIG_FILE.test(base) || /\.(env|experiment|base|trials)\.ya?ml$/i.test(base)) return true;
  const head = text.slice(0, 8192);
  if (/^(pipeline|trackers|imports)\s*:/m.test(head)) return true;
  return /^-\s+name\s*:/m.test(head) && /^\s+(repeat|settings)\s*:/m.test(head);
}

/** `name:` of experiment.yaml (a cheap read, no YAML parse), else the folder name. */
export function experimentName(dir: string): string {
  for (const file of ["experiment.yaml", "experiment.yml"]) {
    try {
      const m = /^name\s*:\s*["']?([^"'#\n]+?)["']?\s*(#.*)?$/m.exec(fs.readFileSync(path.join(dir, file), "utf8"));
      if (m) return m[1].trim();
    } catch {
      /* try the next name */
    }
  }
  return path.basename(dir);
}
