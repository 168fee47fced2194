import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE_OF_ROLE, CONFIG_ROLES, type ConfigRole } from "../common/enums";
import { configProblem, ConfigValidationError, type ConfigDiagnostic } from "./diagnostic";
import { parseLocated, positionAt, sourceFile, toPlain } from "./located";

export interface ConfigSource {
  role: ConfigRole;
  path: string;
  text: string;
  value: unknown;
}

export type ConfigSources = Record<ConfigRole, ConfigSource>;

const START = { line: 0, character: 0 };

/** Reads the four files of a config folder as text (for validation with positions). */
export function readConfigTexts(configDir: string): Record<ConfigRole, { path: string; text: string }> {
  const dir = path.resolve(configDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    // A problem of the folder itself is reported on its env.yaml role (the set's first file).
    throw new ConfigValidationError([
      configProblem(
        "env",
        dir,
        START,
        "missing-file",
        "Config directory does not exist (give the folder holding env.yaml, experiment.yaml, base.yaml and trials.yaml)",
      ),
    ]);
  }
  if (!stat.isDirectory()) {
    throw new ConfigValidationError([
      configProblem(
        "env",
        dir,
        START,
        "missing-file",
        "Not a directory (give the folder holding the four config files, not a file)",
      ),
    ]);
  }
  const missing: ConfigDiagnostic[] = [];
  const out = {} as Record<ConfigRole, { path: string; text: string }>;
  for (const role of CONFIG_ROLES) {
    const file = path.join(dir, CONFIG_FILE_OF_ROLE[role]);
    try {
      out[role] = { path: file, text: fs.readFileSync(file, "utf8") };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      missing.push(
        configProblem(
          role,
          file,
          START,
          "missing-file",
          code === "ENOENT"
            ? `Missing configuration file ${CONFIG_FILE_OF_ROLE[role]} (an experiment folder needs all of ${CONFIG_ROLES.map((r) => CONFIG_FILE_OF_ROLE[r]).join(", ")})`
            : `Cannot read ${CONFIG_FILE_OF_ROLE[role]}: ${(error as Error).message}`,
        ),
      );
    }
  }
  if (missing.length > 0) throw new ConfigValidationError(missing);
  return out;
}

/**
 * Parses the texts into plain values, with the validator's parser and limits (one reading of
 * YAML everywhere). Call after validation: problems are reported there with positions; here
 * the first error still raises a located error rather than a crash.
 */
export function parseConfigTexts(texts: Record<ConfigRole, { path: string; text: string }>): ConfigSources {
  const out = {} as ConfigSources;
  for (const role of CONFIG_ROLES) {
    const { path: file, text } = texts[role];
    const source = sourceFile(role, file, text);
    const parsed = parseLocated(source);
    const first = parsed.problems.find((p) => p.severity === "error");
    if (first || !parsed.root) {
      throw new ConfigValidationError([
        configProblem(
          role,
          file,
          positionAt(source, first?.start ?? 0),
          first?.code ?? "yaml-syntax",
          first?.message ?? "Cannot read this YAML",
        ),
      ]);
    }
    out[role] = { role, path: file, text, value: toPlain(parsed.root) };
  }
  return out;
}
