/**
 * One `expman run <config-dir>` child process: started with the user's Node and without a
 * shell; its own stdout/stderr are handed through untouched; run events are read from a
 * dedicated pipe (fd 3); stop requests for single runs go the other way on fd 4 (the control
 * channel, runtime/src/events/control.ts). Stop (the whole experiment) = SIGINT (the runtime
 * ends the current run ABORTED at the next epoch and exits 130), then the whole process tree
 * is killed after a grace period.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  CONTROL_VERSION,
  encodeControlMessage,
  NO_CHECKPOINT_WARNING,
  parseRunEvent,
  type ProgressEvent,
  type RunEvent,
  type RunKey,
  type RunStatusName,
} from "@expman/runtime/contracts";
import { runtimeEnv, type RuntimeLocation } from "./runtime-locator";

export interface RunSpec {
  node: string;
  runtime: RuntimeLocation;
  configDir: string;
  /** Extra CLI arguments (e.g. `--fail-fast`). */
  args?: string[];
  graceMs?: number;
}

export interface RunRecord {
  uid: string;
  trial: string;
  repeat: number;
  status: RunStatusName;
  error?: { message: string; stack?: string };
  /** Why the run has no checkpoint (`no checkpoint saved: ...`), when CheckpointCallback said so. */
  noCheckpoint?: string;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Stop was requested by the user. */
  stopped: boolean;
  /** Stop escalated to killing the process tree. */
  killed: boolean;
  /** Config errors (`file:line:col: error: ...`) when the runtime refused the folder (exit 2). */
  configErrors: string[];
  runs: RunRecord[];
  /** Errors outside a run (ErrorEvent) and the spawn error, if any. */
  errors: string[];
  stderrTail: string;
}

export interface RunListeners {
  output?(text: string, stream: "stdout" | "stderr"): void;
  event?(event: RunEvent): void;
}

export class RunProcess {
  private child: ChildProcess | undefined;
  private control: Writable | undefined;
  private stopRequested = false;
  private killed = false;
  private killTimer: NodeJS.Timeout | undefined;
  private stderrTail = "";
  private readonly runs = new Map<string, RunRecord>();
  private readonly errors: string[] = [];
  private trialNames = new Map<string, string>();
  lastProgress: ProgressEvent | undefined;
  experimentName: string | undefined;
  /** The experiment's uid (the database's `experiments.uid`), once its first event arrived. */
  experimentUid: string | undefined;
  readonly done: Promise<RunOutcome>;
  private resolveDone!: (o: RunOutcome) => void;

  constructor(
    readonly spec: RunSpec,
    private readonly listeners: RunListeners = {},
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.child) throw new Error("run already started");
    const { node, runtime, configDir, args = [] } = this.spec;
    const control = supportsControl(runtime) ? ["--control", "fd:4"] : [];
    const child = spawn(node, [runtime.cli, "run", configDir, "--events", "fd:3", ...control, ...args], {
      cwd: configDir,
      env: { ...runtimeEnv(runtime), FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe", "pipe", control.length ? "pipe" : "ignore"],
      shell: false,
      windowsHide: true,
      // Own process group on POSIX, so the tree can be killed as a whole after the grace period.
      detached: process.platform !== "win32",
    });
    this.child = child;
    child.stdout!.on("data", (d: Buffer) => this.listeners.output?.(d.toString(), "stdout"));
    child.stderr!.on("data", (d: Buffer) => {
      const text = d.toString();
      this.stderrTail = (this.stderrTail + text).slice(-8000);
      this.listeners.output?.(text, "stderr");
    });
    this.control = control.length ? ((child.stdio[4] as Writable | null) ?? undefined) : undefined;
    this.control?.on("error", () => undefined); // the run ended: nothing left to stop
    const events = child.stdio[3] as Readable | null;
    if (events) readline.createInterface({ input: events }).on("line", (line) => this.onEventLine(line));
    let spawnError: string | undefined;
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e.code === "ENOENT" ? `Node.js not found: '${node}'` : e.message;
    });
    child.on("close", (exitCode, signal) => {
      if (this.killTimer) clearTimeout(this.killTimer);
      if (spawnError) this.errors.push(spawnError);
      // Stopped by the user: make sure nothing the run started lingers (its process group).
      if (this.stopRequested) this.killTree("SIGKILL");
      this.resolveDone({
        exitCode,
        signal,
        stopped: this.stopRequested,
        killed: this.killed,
        configErrors: exitCode === 2 ? configErrorLines(this.stderrTail) : [],
        runs: [...this.runs.values()],
        errors: [...this.errors],
        stderrTail: this.stderrTail,
      });
    });
  }

  /**
   * Asks the runtime to stop one run (it ends ABORTED, the experiment goes on with its next run).
   * False when this runtime has no control channel (an older workspace copy) or the run ended.
   */
  stopRun(run: RunKey): boolean {
    if (!this.control || !this.running || this.control.destroyed) return false;
    this.control.write(encodeControlMessage({ kind: "stop", run }));
    return true;
  }

  /** Whether single runs can be stopped (the runtime reads the control channel). */
  get canStopRuns(): boolean {
    return this.control !== undefined;
  }

  /** SIGINT now; SIGKILL to the process tree after the grace period. Safe to call twice. */
  stop(): void {
    if (!this.child || !this.running) return;
    if (this.stopRequested) {
      // A second Stop does not wait for the grace period.
      this.escalate();
      return;
    }
    this.stopRequested = true;
    try {
      this.child.kill("SIGINT");
    } catch {
      /* already gone */
    }
    this.killTimer = setTimeout(() => this.escalate(), this.spec.graceMs ?? 10_000);
    this.killTimer.unref?.();
  }

  private escalate(): void {
    if (!this.running) return;
    this.killed = true;
    this.killTree("SIGKILL");
  }

  private killTree(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === "win32") {
        spawn("taskkill", ["/pid", String(pid), "/T", "/F"], { shell: false, windowsHide: true, stdio: "ignore" });
      } else {
        process.kill(-pid, signal);
      }
    } catch {
      /* no such group: already gone */
    }
  }

  private onEventLine(line: string): void {
    const event = parseRunEvent(line);
    if (!event) return;
    this.track(event);
    this.listeners.event?.(event);
  }

  private track(event: RunEvent): void {
    if (event.kind === "progress") this.lastProgress = event;
    else if (event.kind === "error") this.errors.push(event.message);
    else if (event.kind === "log" && event.message.startsWith(NO_CHECKPOINT_WARNING)) {
      // Log lines carry no run ids; runs of one process run one after another, so it is the
      // one that started last and has not ended.
      const current = [...this.runs.values()].reverse().find((r) => r.status === "RUNNING");
      if (current) current.noCheckpoint = event.message;
    } else if (event.kind === "lifecycle") {
      if (event.level === "experiment" && event.name) this.experimentName = event.name;
      if (event.level === "experiment" && event.ids.experiment) this.experimentUid = event.ids.experiment;
      if (event.level === "trial" && event.ids.trial && event.name) this.trialNames.set(event.ids.trial, event.name);
      if (event.level === "trial_run" && event.ids.run) {
        const uid = event.ids.run;
        const record: RunRecord = this.runs.get(uid) ?? {
          uid,
          trial: (event.ids.trial && this.trialNames.get(event.ids.trial)) ?? "?",
          repeat: event.repeat ?? 0,
          status: "RUNNING" as RunStatusName,
        };
        if (event.phase === "end") {
          record.status = event.status ?? "SUCCESS";
          if (event.error) record.error = event.error;
        }
        this.runs.set(uid, record);
      }
    }
  }

  /** Runs seen so far (live). */
  get seenRuns(): RunRecord[] {
    return [...this.runs.values()];
  }
}

/**
 * Whether this runtime reads `--control` in the version this extension writes: from its
 * checked protocol versions, else (not checked, e.g. tests) from the file that reads it. An
 * older copy installed in a workspace would refuse the unknown option, so it gets none.
 */
export function supportsControl(runtime: RuntimeLocation): boolean {
  if (runtime.protocols) return runtime.protocols.control === CONTROL_VERSION;
  return fs.existsSync(path.join(runtime.packageDir, "dist", "events", "control-channel.js"));
}

/** The `file:line:col: error: message` lines the runtime prints for config errors. */
export function configErrorLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /:\d+:\d+: error: /.test(l) || /: error: /.test(l));
}

/** Cheap one-line progress text: `small_lr 1/2 · epoch 12/80 · run 3 of 6`. */
export function progressText(p: ProgressEvent | undefined): string {
  if (!p) return "starting";
  const parts = [`${p.trial} ${p.repeat + 1}/${p.repeats}`];
  if (p.epoch !== null) parts.push(p.epochs ? `epoch ${p.epoch + 1}/${p.epochs}` : `epoch ${p.epoch + 1}`);
  parts.push(`run ${p.runIndex + 1} of ${p.plannedRuns}`);
  return parts.join(" · ");
}
