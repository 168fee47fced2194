/**
 * Which YAML files are experiment configs, and which files form one config set:
 * - a folder holding env.yaml, experiment.yaml, base.yaml, trials.yaml (two of the four present
 *   identify the folder, so a lone `env.yaml` of some other tool is left alone);
 * - `<prefix>.env.yaml`, `<prefix>.experiment.yaml`, ... (the prefix groups them);
 * - files matched by the `experimentManager.configGlobs` setting (role from the name's suffix);
 * - the first file of a new experiment, alone in its folder, while it is open in the editor and
 *   still blank or showing its role's keys (so help starts with the first file, not the second).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_ROLES, looksLikeConfigRole, type ConfigRole } from "@expman/runtime/contracts";

export interface ConfigMember {
  role: ConfigRole;
  /** The folder plus the name prefix shared by the set (`/cfg/` or `/cfg/exp1.`). */
  group: string;
}

const PLAIN = /^(env|experiment|base|trials)\.ya?ml$/i;
const PREFIXED = /^(.+)\.(env|experiment|base|trials)\.ya?ml$/i;
const SUFFIX = /^(.*?[._-])?(env|experiment|base|trials)\.ya?ml$/i;

export class ConfigFileClassifier {
  private globs: RegExp[] = [];

  constructor(
    private readonly exists: (file: string) => boolean = fs.existsSync,
    /** The text of an open document, undefined when the file is not open. */
    private readonly openText: (file: string) => string | undefined = () => undefined,
  ) {}

  setGlobs(globs: readonly string[], roots: readonly string[]): void {
    this.globs = [];
    for (const glob of globs) {
      if (typeof glob !== "string" || glob.trim() === "") continue;
      const absolute = path.isAbsolute(glob) ? [glob] : roots.length ? roots.map((r) => path.join(r, glob)) : [glob];
      for (const g of absolute) this.globs.push(globToRegExp(g.split(path.sep).join("/")));
      if (!glob.includes("/")) this.globs.push(globToRegExp(`**/${glob}`));
    }
  }

  /** The role of a file and its set, or undefined when it is not an experiment config. */
  classify(file: string): ConfigMember | undefined {
    const dir = path.dirname(file);
    const base = path.basename(file);
    const prefixed = PREFIXED.exec(base);
    if (prefixed) return { role: prefixed[2].toLowerCase() as ConfigRole, group: path.join(dir, `${prefixed[1]}.`) };
    const plain = PLAIN.exec(base);
    const normalized = file.split(path.sep).join("/");
    if (this.globs.some((g) => g.test(normalized))) {
      const m = SUFFIX.exec(base);
      if (m) return { role: m[2].toLowerCase() as ConfigRole, group: path.join(dir, m[1] ?? path.sep) };
    }
    if (plain) {
      const role = plain[1].toLowerCase() as ConfigRole;
      const others = CONFIG_ROLES.filter((r) => r !== role).some(
        (r) => this.memberPath(path.join(dir, path.sep), r) !== undefined,
      );
      if (others) return { role, group: path.join(dir, path.sep) };
      const text = this.openText(file);
      if (text !== undefined && looksLikeConfigRole(role, text)) return { role, group: path.join(dir, path.sep) };
    }
    return undefined;
  }

  /** The path of the set's member of `role` that exists (`.yaml` first, then `.yml`). */
  memberPath(group: string, role: ConfigRole, isOpen?: (file: string) => boolean): string | undefined {
    for (const ext of [".yaml", ".yml"]) {
      const candidate = group.endsWith(path.sep) ? path.join(group, `${role}${ext}`) : `${group}${role}${ext}`;
      if (isOpen?.(candidate) || this.exists(candidate)) return candidate;
    }
    return undefined;
  }
}

/** `**`, `*`, `?` and `{a,b}` globs on forward-slash paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(",")
          .map((s) => s.replace(/[.+^$()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*"))
          .join("|")})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
