/**
 * Checks a config folder before a run is started, with the same checks `expman run` makes
 * (`expman validate <dir> --json`, which also loads the `imports:` to know the user's types:
 * it runs workspace code, so only in a trusted workspace; static-validate.ts otherwise).
 * A folder with errors is refused without starting the run.
 */
import { execFile } from "node:child_process";
import { formatConfigDiagnostic, type ConfigDiagnostic } from "@expman/runtime/contracts";
import { runtimeEnv, type RuntimeLocation } from "./runtime-locator";

export interface ValidationResult {
  ok: boolean;
  diagnostics: ConfigDiagnostic[];
  /** Errors only, formatted `file:line:col: error: message`. */
  errors: string[];
}

export function validateConfigDir(
  node: string,
  runtime: RuntimeLocation,
  configDir: string,
  timeoutMs = 60_000,
): Promise<ValidationResult> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [runtime.cli, "validate", configDir, "--json"],
      {
        cwd: configDir,
        env: runtimeEnv(runtime),
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        shell: false,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        let parsed: { ok?: boolean; diagnostics?: ConfigDiagnostic[] } | undefined;
        try {
          parsed = JSON.parse(stdout);
        } catch {
          parsed = undefined;
        }
        if (parsed && Array.isArray(parsed.diagnostics)) {
          const errors = parsed.diagnostics.filter((d) => d.severity === "error").map(formatConfigDiagnostic);
          resolve({ ok: errors.length === 0, diagnostics: parsed.diagnostics, errors });
          return;
        }
        const err = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
        if (err && err.code === "ENOENT") {
          reject(err);
          return;
        }
        // `validate` could not even produce JSON (e.g. a crash loading imports): report its words.
        const lines = `${stderr}`.trim().split("\n").filter(Boolean);
        resolve({
          ok: false,
          diagnostics: [],
          errors: lines.length
            ? lines
            : [`${configDir}: error: 'expman validate' failed (${err?.message ?? "no output"})`],
        });
      },
    );
  });
}
