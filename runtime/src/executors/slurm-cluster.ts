import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunStatusName } from "../common/vocabulary";

/**
 * Slurm's commands, each started without a shell with an argument array: `sbatch` submits,
 * `squeue` lists tasks waiting or running, `scontrol show job` (and `sacct`, where the cluster
 * keeps accounting) tells how ended tasks ended, `scancel` stops one. Their text is parsed here;
 * what it means for the store is in slurm-status.ts.
 */

/** Thrown when a Slurm command is not installed here: says which, and what to do. */
export class SlurmUnavailableError extends Error {
  constructor(
    readonly command: string,
    detail: string,
  ) {
    super(detail);
    this.name = "SlurmUnavailableError";
  }
}

/** Thrown when sbatch refuses the job: its exit code and stderr, as Slurm wrote them. */
export class SbatchRejectedError extends Error {
  constructor(
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`sbatch refused the job (exit ${code ?? "by signal"}): ${stderr.trim() || "(nothing on stderr)"}`);
    this.name = "SbatchRejectedError";
  }
}

/** The executable `name` on PATH, or undefined (a name with a slash is taken as a path). */
export function findOnPath(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : envPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, name));
  for (const file of candidates) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails with a clear message unless `sbatch` (and squeue/scontrol to follow the job) is on PATH. */
export function requireSlurmCommands(where: string): void {
  for (const command of ["sbatch", "squeue", "scontrol"]) {
    if (findOnPath(command)) continue;
    throw new SlurmUnavailableError(
      command,
      `${where} runs the experiment on Slurm, but '${command}' is not on PATH (${process.env.PATH ?? "PATH is not set"}). ` +
        "Run it where Slurm's client commands are installed (a login node of your cluster; on Debian: apt-get install slurm-client), " +
        "or run here without Slurm ('--executor local', or remove 'executor: slurm' from env.yaml). Nothing was written to the store.",
    );
  }
}

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT and the like: the command could not be started at all. */
  startError?: NodeJS.ErrnoException;
}

/** Runs a Slurm command (no shell), with a deadline so a hung controller cannot hang us. */
function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === "string") resolve({ code: null, stdout, stderr, startError: e });
        else resolve({ code: e ? ((e.code as number | undefined) ?? null) : 0, stdout, stderr });
      },
    );
  });
}

/** Submits with these sbatch arguments; returns the job id sbatch printed (`--parsable`). */
export async function sbatch(args: readonly string[]): Promise<string> {
  const r = await run("sbatch", args, 120_000);
  if (r.startError?.code === "ENOENT") requireSlurmCommands("expman run");
  if (r.startError) throw new SbatchRejectedError(null, `could not run sbatch: ${r.startError.message}`);
  if (r.code !== 0) throw new SbatchRejectedError(r.code, r.stderr);
  const id = r.stdout.trim().split(/\s+/).pop()?.split(";")[0] ?? "";
  if (!/^\d+$/.test(id))
    throw new SbatchRejectedError(
      r.code,
      `sbatch printed no job id (stdout: ${JSON.stringify(r.stdout.trim())}) ${r.stderr}`,
    );
  return id;
}

/** `scancel <task>`: Slurm sends the task SIGTERM (then SIGKILL after KillWait). */
export async function scancel(task: string): Promise<void> {
  const r = await run("scancel", [task]);
  if (r.startError) throw new SlurmUnavailableError("scancel", `could not run scancel: ${r.startError.message}`);
  if (r.code !== 0) throw new Error(`scancel ${task} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** What the cluster says about one array task (`<job>_<index>`). */
export interface TaskState {
  task: string;
  /** Slurm's job state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY ... */
  state: string;
  reason?: string;
  /** `<exit code>:<signal>` */
  exitCode?: string;
  timeLimit?: string;
}

export interface ClusterView {
  /** False when squeue itself failed (controller unreachable): nothing may be concluded. */
  reachable: boolean;
  tasks: Map<string, TaskState>;
  /** Why it is not reachable (squeue's stderr). */
  problem?: string;
}

/** Tasks of these array jobs: squeue for waiting/running ones, then scontrol and sacct for ended ones. */
export async function clusterView(jobIds: readonly string[]): Promise<ClusterView> {
  const tasks = new Map<string, TaskState>();
  if (jobIds.length === 0) return { reachable: true, tasks };
  const q = await run("squeue", ["-h", "-r", "-j", jobIds.join(","), "-o", "%i|%T|%r|%l"]);
  if (q.startError || (q.code !== 0 && !/invalid job id/i.test(q.stderr)))
    return { reachable: false, tasks, problem: (q.startError?.message ?? q.stderr).trim() };
  if (q.code === 0) for (const t of parseSqueue(q.stdout)) tasks.set(t.task, t);
  for (const job of jobIds) {
    const s = await run("scontrol", ["show", "job", "-o", job]);
    if (s.code === 0) for (const t of parseScontrol(s.stdout)) if (!tasks.has(t.task)) tasks.set(t.task, t);
    // Where accounting is kept (most clusters), sacct remembers tasks scontrol has forgotten.
    const a = await run("sacct", ["-n", "-P", "-X", "-j", job, "-o", "JobID,State,ExitCode"]);
    if (a.code === 0) for (const t of parseSacct(a.stdout)) if (!tasks.has(t.task)) tasks.set(t.task, t);
  }
  return { reachable: true, tasks };
}

/** `squeue -h -r -o %i|%T|%r|%l` lines. */
export function parseSqueue(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const [task, state, reason, timeLimit] = line.trim().split("|");
    if (!task || !state || !/^\d+_\d+$/.test(task)) continue;
    out.push({ task, state, reason: reason && reason !== "None" ? reason : undefined, timeLimit });
  }
  return out;
}

/** `scontrol show job -o` records (one line each, key=value): the array tasks among them. */
export function parseScontrol(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    const job = field("ArrayJobId");
    const index = field("ArrayTaskId");
    const state = field("JobState");
    // A pending remainder of an array shows a range ("4-7%2"): squeue lists those tasks one by one.
    if (!job || !index || !state || !/^\d+$/.test(index)) continue;
    const reason = field("Reason");
    out.push({
      task: `${job}_${index}`,
      state,
      reason: reason && reason !== "None" ? reason : undefined,
      exitCode: field("ExitCode"),
      timeLimit: field("TimeLimit"),
    });
  }
  return out;
}

/** `sacct -n -P -X -o JobID,State,ExitCode` lines ("CANCELLED by 0" keeps its first word). */
export function parseSacct(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const [task, state, exitCode] = line.trim().split("|");
    if (!task || !state || !/^\d+_\d+$/.test(task)) continue;
    out.push({ task, state: state.split(" ")[0], exitCode });
  }
  return out;
}

/** Tasks still in the cluster's hands, and the status a reader should show for them. */
export function activeStatus(state: string): "QUEUED" | "RUNNING" | undefined {
  if (
    ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SUSPENDED", "RESV_DEL_HOLD"].includes(state)
  )
    return "QUEUED";
  if (["RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING"].includes(state)) return "RUNNING";
  return undefined;
}

/**
 * How a task that ended without ending its run (or that ended it ABORTED on Slurm's SIGTERM)
 * reads in the store: FAILED or ABORTED, with the scheduler's reason first in the message.
 * Undefined for a task still waiting or running.
 */
export function endedTaskStatus(t: TaskState): { status: RunStatusName; message: string } | undefined {
  if (activeStatus(t.state)) return undefined;
  const task = `Slurm task ${t.task}`;
  const exit = t.exitCode ? ` (exit ${t.exitCode})` : "";
  switch (t.state) {
    case "TIMEOUT":
      return {
        status: "FAILED",
        message: `TIMEOUT: ${task} ran past its time limit${t.timeLimit ? ` (${t.timeLimit})` : ""} and Slurm ended it. Raise 'time' under 'slurm:' in env.yaml.`,
      };
    case "OUT_OF_MEMORY":
      return {
        status: "FAILED",
        message: `OUT_OF_MEMORY: ${task} used more memory than it was given and Slurm killed it. Ask for more (sbatch_args: ["--mem=..."]).`,
      };
    case "NODE_FAIL":
      return { status: "FAILED", message: `NODE_FAIL: the node running ${task} failed.` };
    case "BOOT_FAIL":
    case "DEADLINE":
    case "REVOKED":
      return { status: "FAILED", message: `${t.state}: Slurm ended ${task}${t.reason ? ` (${t.reason})` : ""}.` };
    case "CANCELLED":
      return { status: "ABORTED", message: `CANCELLED: ${task} was cancelled (scancel) before its run ended.` };
    case "PREEMPTED":
      return { status: "ABORTED", message: `PREEMPTED: Slurm preempted ${task} before its run ended.` };
    case "COMPLETED":
      return { status: "FAILED", message: `${task} exited${exit} without ending its run (see its output file).` };
    default:
      return {
        status: "FAILED",
        message: `${t.state}: ${task} ended${exit} without ending its run${t.reason ? ` (${t.reason})` : ""}; see its output file.`,
      };
  }
}
