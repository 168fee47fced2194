/**
 * Writes a run's note or tags through the runtime's CLI (`expman note`, `expman tag --set`),
 * run with the user's Node: the extension host never opens the database itself (no native
 * modules in it). Spawned without a shell; the text goes after `--`, so a note starting with
 * `-` is text, not an option.
 */
import { execFile } from "node:child_process";
import { runtimeEnv, type RuntimeLocation } from "./runtime-locator";

export type RunAnnotation = { note: string } | { tags: string[] };

export function annotationArgs(cli: string, db: string, runId: number, change: RunAnnotation): string[] {
  return "note" in change
    ? [cli, "note", String(runId), "--db", db, ...(change.note.trim() ? ["--", change.note] : ["--clear"])]
    : [cli, "tag", String(runId), "--set", "--db", db, "--", ...change.tags];
}

/** Resolves when the store has it; rejects with the CLI's own message (bad tag, no such run). */
export function annotateRun(
  node: string,
  runtime: RuntimeLocation,
  db: string,
  runId: number,
  change: RunAnnotation,
  timeoutMs = 30_000,
): Promise<void> {
  const [cli, ...rest] = annotationArgs(runtime.cli, db, runId, change);
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [cli, ...rest],
      { env: runtimeEnv(runtime), timeout: timeoutMs, shell: false, windowsHide: true },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const said = `${stderr}`.trim().split("\n")[0];
        reject(new Error(said || error.message));
      },
    );
  });
}
