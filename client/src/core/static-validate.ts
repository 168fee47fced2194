/**
 * The static check of a config folder, in-process: the same rules the language server applies
 * (the runtime's `validateConfigSet`) against the types the server found by scanning source
 * files. It reads the four YAML files and nothing else, and runs no workspace code: this is
 * what Validate does in Restricted Mode, where `expman validate` (which loads `imports:`
 * modules) must never start. No `vscode`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CONFIG_ROLES,
  formatConfigDiagnostic,
  validateConfigSet,
  type ConfigFileSet,
  type RegistryDescription,
} from "@expman/runtime/contracts";
import type { ValidationResult } from "./validate-config";

/** Same bound as the language server: larger files are reported, not parsed. */
const MAX_CONFIG_BYTES = 5 * 1024 * 1024;

export function validateStatically(configDir: string, registry: RegistryDescription): ValidationResult {
  const files: ConfigFileSet = {};
  for (const role of CONFIG_ROLES) {
    for (const ext of [".yaml", ".yml"]) {
      const file = path.join(configDir, role + ext);
      try {
        files[role] = { path: file, text: fs.readFileSync(file, "utf8") };
        break;
      } catch {
        /* not there: try the other extension; an absent role is not checked (as in the editor) */
      }
    }
  }
  const diagnostics = validateConfigSet(files, registry, {
    fileExists: (p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
    maxBytes: MAX_CONFIG_BYTES,
  });
  const errors = diagnostics.filter((d) => d.severity === "error").map(formatConfigDiagnostic);
  return { ok: errors.length === 0, diagnostics, errors };
}
