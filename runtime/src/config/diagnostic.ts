/**
 * One shape for a config problem, wherever it is found (the validator, the loader, the CLI, the
 * language server): a `ConfigDiagnostic` with a 0-based range (as LSP and the editor count),
 * printed 1-based as `file:line:col` by `formatConfigDiagnostic` (as terminals and editors link).
 */
import type { ConfigRole } from "../common/enums";

export interface ConfigPosition {
  line: number;
  character: number;
}
export interface ConfigRange {
  start: ConfigPosition;
  end: ConfigPosition;
}
export type ConfigSeverity = "error" | "warning" | "info";

export type ConfigDiagnosticCode =
  | "yaml-syntax"
  | "file-too-large"
  | "too-deep"
  | "not-a-mapping"
  | "trials-not-list"
  | "missing-key"
  | "wrong-value"
  | "unknown-key"
  | "unknown-type"
  | "wrong-kind"
  | "unknown-metric"
  | "untracked-metric"
  | "duplicate-trial"
  | "bad-name"
  | "missing-import"
  | "import-failed"
  | "missing-file"
  | "alias-limit"
  | "changed-meaning"
  | "bad-sweep";

export interface ConfigDiagnostic {
  role: ConfigRole;
  path: string;
  severity: ConfigSeverity;
  code: ConfigDiagnosticCode;
  message: string;
  range: ConfigRange;
  data?: {
    /** Replace `range` with this text to fix the problem. */
    suggestion?: string;
    /** The required key that is missing. */
    missingKey?: string;
    /** Insert `insertText` at `insertPosition` to add the missing key. */
    insertText?: string;
    insertPosition?: ConfigPosition;
  };
}

/** `file:line:col: severity: message` (1-based), as the CLI prints a diagnostic. */
export function formatConfigDiagnostic(d: ConfigDiagnostic): string {
  return `${d.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}

/** One error at a 0-based position (a point: the editor widens it to the character there). */
export function configProblem(
  role: ConfigRole,
  path: string,
  at: ConfigPosition,
  code: ConfigDiagnosticCode,
  message: string,
): ConfigDiagnostic {
  return { role, path, severity: "error", code, message, range: { start: at, end: at } };
}

/**
 * The one thrown form of config problems (from the loader, the imports and the validation):
 * every diagnostic, printed `file:line:col` by its message. Callers catch this one class.
 */
export class ConfigValidationError extends Error {
  constructor(readonly diagnostics: ConfigDiagnostic[]) {
    super(diagnostics.map(formatConfigDiagnostic).join("\n"));
    this.name = "ConfigValidationError";
  }
}
