import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { CONFIG_FILE_OF_ROLE, CONFIG_ROLES, type ConfigRole } from "../common/enums";
import { ConfigError, ConfigErrors } from "../common/errors";

export interface ConfigSource {
  role: ConfigRole;
  path: string;
  text: string;
  value: unknown;
}

export type ConfigSources = Record<ConfigRole, ConfigSource>;

/** Reads the four files of a config folder as text (for validation with positions). */
export function readConfigTexts(configDir: string): Record<ConfigRole, { path: string; text: string }> {
  const dir = path.resolve(configDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ConfigError({ file: dir, line: 1, column: 1 }, "Config directory does not exist", "give the folder holding env.yaml, experiment.yaml, base.yaml and trials.yaml");
  }
  if (!stat.isDirectory()) {
    throw new ConfigError({ file: dir, line: 1, column: 1 }, "Not a directory", "give the folder holding the four config files, not a file");
  }
  const missing: ConfigError[] = [];
  const out = {} as Record<ConfigRole, { path: string; text: string }>;
  for (const role of CONFIG_ROLES) {
    const file = path.join(dir, CONFIG_FILE_OF_ROLE[role]);
    try {
      out[role] = { path: file, text: fs.readFileSync(file, "utf8") };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      missing.push(
        new ConfigError(
          { file, line: 1, column: 1 },
          code === "ENOENT" ? `Missing configuration file ${CONFIG_FILE_OF_ROLE[role]}` : `Cannot read ${CONFIG_FILE_OF_ROLE[role]}: ${(error as Error).message}`,
          code === "ENOENT" ? `an experiment folder needs all of ${CONFIG_ROLES.map((r) => CONFIG_FILE_OF_ROLE[r]).join(", ")}` : undefined,
        ),
      );
    }
  }
  if (missing.length > 0) throw new ConfigErrors(missing);
  return out;
}

/**
 * Parses the texts into plain values. Call after validation: syntax errors are reported there
 * with positions; here they still raise a located error rather than a crash.
 */
export function parseConfigTexts(texts: Record<ConfigRole, { path: string; text: string }>): ConfigSources {
  const out = {} as ConfigSources;
  for (const role of CONFIG_ROLES) {
    const { path: file, text } = texts[role];
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0] ?? { line: 1, col: 1 };
      throw new ConfigError({ file, line: pos.line, column: pos.col }, `YAML syntax error: ${first.message.split("\n")[0]}`);
    }
    out[role] = { role, path: file, text, value: doc.toJS({ maxAliasCount: 1000 }) ?? null };
  }
  return out;
}
