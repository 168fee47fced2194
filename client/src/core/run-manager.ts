/**
 * The runs started from the editor: a queue with a limit on runs side by side, each run one
 * RunProcess. Pure logic (no `vscode`): the editor layer shows what it reports.
 */
import type { RunEvent } from "@expman/runtime/contracts";
import { Emitter } from "./emitter";
import { RunProcess, type RunOutcome, type RunSpec } from "./run-process";

export type ManagedRunState = "queued" | "running" | "stopping" | "done";

export interface ManagedRun {
  id: number;
  /** Experiment name (from experiment.yaml, else the folder name). */
  name: string;
  configDir: string;
  state: ManagedRunState;
  process: RunProcess;
  queuedAt: number;
  startedAt?: number;
  outcome?: RunOutcome;
  /** Time of the first epoch-end event (progress with an epoch), ms since start. */
  firstEpochMs?: number;
}

export interface RunEventWithRun {
  run: ManagedRun;
  event: RunEvent;
}

export class RunManager {
  private readonly runs = new Map<number, ManagedRun>();
  private nextId = 1;
  private readonly changed = new Emitter<ManagedRun>();
  private readonly events = new Emitter<RunEventWithRun>();
  private readonly outputs = new Emitter<{ run: ManagedRun; text: string; stream: "stdout" | "stderr" }>();
  readonly onDidChange = this.changed.event;
  readonly onEvent = this.events.event;
  readonly onOutput = this.outputs.event;

  constructor(private readonly maxParallel: () => number) {}

  enqueue(spec: RunSpec, name: string): ManagedRun {
    const id = this.nextId++;
    const run: ManagedRun = {
      id,
      name,
      configDir: spec.configDir,
      state: "queued",
      queuedAt: Date.now(),
      process: undefined as unknown as RunProcess,
    };
    run.process = new RunProcess(spec, {
      output: (text, stream) => this.outputs.fire({ run, text, stream }),
      event: (event) => {
        if (run.firstEpochMs === undefined && event.kind === "progress" && event.epoch !== null && run.startedAt) {
          run.firstEpochMs = Date.now() - run.startedAt;
        }
        this.events.fire({ run, event });
      },
    });
    this.runs.set(id, run);
    this.changed.fire(run);
    this.pump();
    return run;
  }

  /** Stops a running run (SIGINT, then kill) or removes a queued one. */
  stop(id: number): boolean {
    const run = this.runs.get(id);
    if (!run) return false;
    if (run.state === "queued") {
      run.state = "done";
      run.outcome = {
        exitCode: null,
        signal: null,
        stopped: true,
        killed: false,
        configErrors: [],
        runs: [],
        errors: ["removed from the queue"],
        stderrTail: "",
      };
      this.changed.fire(run);
      return true;
    }
    if (run.state === "running" || run.state === "stopping") {
      run.state = "stopping";
      run.process.stop();
      this.changed.fire(run);
      return true;
    }
    return false;
  }

  stopAll(): void {
    for (const run of this.runs.values()) this.stop(run.id);
  }

  get(id: number): ManagedRun | undefined {
    return this.runs.get(id);
  }

  /** Queued, running and stopping runs, oldest first. */
  active(): ManagedRun[] {
    return [...this.runs.values()].filter((r) => r.state !== "done");
  }

  all(): ManagedRun[] {
    return [...this.runs.values()];
  }

  /** Resolves when the run has ended (immediately for a finished one). */
  async finished(id: number): Promise<RunOutcome | undefined> {
    const run = this.runs.get(id);
    if (!run) return undefined;
    if (run.state === "queued") {
      await new Promise<void>((resolve) => {
        const sub = this.changed.event((r) => {
          if (r.id === id && r.state !== "queued") {
            sub.dispose();
            resolve();
          }
        });
      });
    }
    if (run.outcome) return run.outcome;
    return run.process.done;
  }

  private pump(): void {
    const limit = Math.max(1, this.maxParallel());
    let running = [...this.runs.values()].filter((r) => r.state === "running" || r.state === "stopping").length;
    for (const run of this.runs.values()) {
      if (running >= limit) break;
      if (run.state !== "queued") continue;
      run.state = "running";
      run.startedAt = Date.now();
      running++;
      try {
        run.process.start();
      } catch (e) {
        run.state = "done";
        run.outcome = {
          exitCode: null,
          signal: null,
          stopped: false,
          killed: false,
          configErrors: [],
          runs: [],
          errors: [String(e)],
          stderrTail: "",
        };
        this.changed.fire(run);
        running--;
        continue;
      }
      void run.process.done.then((outcome) => {
        run.outcome = outcome;
        run.state = "done";
        this.changed.fire(run);
        this.pump();
      });
      this.changed.fire(run);
    }
  }

  dispose(): void {
    this.stopAll();
    this.changed.dispose();
    this.events.dispose();
    this.outputs.dispose();
  }
}
