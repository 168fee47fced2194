/**
 * Stop Run for a run on Slurm: `scancel <array job>_<index>` of that run's task (the run's
 * `jobId` in the store). Slurm sends the task SIGTERM; its worker ends the run ABORTED, and a
 * task that had not started yet is simply dropped (`expman ls` then writes it ABORTED). Spawned
 * without a shell, scancel resolved to an absolute path on PATH. No `vscode` here.
 */
import { spawn } from "node:child_process";
import { resolveExecutable } from "./executable";

/** Only an array task id is ever passed: a stored value that is not one is refused, not run. */
export const SLURM_TASK_ID = /^\d+_\d+$/;

export function cancelSlurmTask(task: string, env: NodeJS.ProcessEnv = process.env): Promise<{ error?: string }> {
  if (!SLURM_TASK_ID.test(task)) return Promise.resolve({ error: `'${task}' is not a Slurm array task id` });
  const scancel = resolveExecutable("scancel", { env });
  if ("error" in scancel) return Promise.resolve({ error: `scancel ${scancel.error}` });
  return new Promise((resolve) => {
    const child = spawn(scancel.path, [task], { stdio: ["ignore", "ignore", "pipe"], env });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (stderr += d));
    child.on("error", (e) => resolve({ error: e.message }));
    child.on("close", (code) =>
      resolve(code === 0 ? {} : { error: `scancel ${task} exited with ${code}: ${stderr.trim()}` }),
    );
  });
}
