import { Level, RunStatus } from "../common/enums";
import type { EventChannel } from "../events/channel";
import type { RunEvent } from "../events/contract";
import type { RunStatusName } from "../common/vocabulary";
import { experimentStatus, type Experiment, type ExperimentResult } from "../experiment/experiment";
import { runLabel, type PlannedRun } from "../experiment/plan";
import type { TrialRunResult } from "../experiment/trial";
import { LocalExecutor } from "./local";

export interface RunLocalOptions {
  jobs: number;
  workspace?: string;
  failFast?: boolean;
  /** The coordinator's events channel: every worker's events go on it, with their run ids. */
  channel?: EventChannel;
  onStart?(run: PlannedRun, pid: number): void;
  onEvent?(event: RunEvent, run: PlannedRun): void;
  onEnd?(result: TrialRunResult, run: PlannedRun): void;
  /** Pipeline output of a worker, one line at a time. */
  onOutput?(run: PlannedRun, stream: "stdout" | "stderr", line: string): void;
  /** Called with the executor once it exists, so the caller can stop single runs. */
  attach?(executor: LocalExecutor): void;
}

/**
 * Executes an experiment's selected runs in local worker processes (`--jobs N`). This process
 * coordinates: it owns the experiment row (start, end), announces the trials on the events
 * channel, forwards every worker's run events, records runs whose worker died, and ends the
 * runs it never started. The workers write their own runs to the same store.
 */
export async function runWithWorkers(experiment: Experiment, options: RunLocalOptions): Promise<ExperimentResult> {
  const started = Date.now();
  const tm = experiment.env.trackerManager;
  const channel = options.channel;
  const selected = experiment.selected;
  tm.onStart(Level.EXPERIMENT, { name: experiment.title });
  const ids = { experiment: experiment.uid };

  // The trials are announced here, once; workers' own trial events would repeat them.
  const trialRuns = new Map<string, PlannedRun[]>();
  for (const run of selected) trialRuns.set(run.trial.uid, [...(trialRuns.get(run.trial.uid) ?? []), run]);
  for (const runs of trialRuns.values()) {
    const t = runs[0].trial;
    for (const phase of ["create", "start"] as const)
      channel?.send({ kind: "lifecycle", phase, level: "trial", ids: { ...ids, trial: t.uid }, name: t.name });
  }
  const trialResults = new Map<string, TrialRunResult[]>();

  const executor = new LocalExecutor({
    jobs: options.jobs,
    configDir: experiment.configDir,
    experimentUid: experiment.uid,
    workspace: options.workspace,
    onStart: options.onStart,
    onOutput: options.onOutput,
    onEvent(event, run) {
      if (event.kind === "lifecycle" && (event.level === "experiment" || event.level === "trial")) return;
      if (event.kind === "log") event = { ...event, message: `[${runLabel(run)}] ${event.message}` };
      channel?.send(event);
      options.onEvent?.(event, run);
    },
    onLost(run, status, message) {
      let stored: { status: RunStatusName; changed: boolean } | undefined;
      for (const store of experiment.stores) stored = store.endRunIfOpen(run.uid, status, message) ?? stored;
      // The extension follows runs by their events: tell it this run ended (unless it said so itself).
      if (!stored || stored.changed) {
        channel?.send({
          kind: "lifecycle",
          phase: "end",
          level: "trial_run",
          ids: { ...ids, trial: run.trial.uid, run: run.uid },
          repeat: run.repeat,
          status: stored?.status ?? status,
          error: { message },
        });
      }
      return stored;
    },
  });
  options.attach?.(executor);
  const onAbort = () => executor.stopAll();
  experiment.env.abortSignal?.addEventListener("abort", onAbort);

  const results: TrialRunResult[] = [];
  const pending = new Map(selected.map((r) => [r.uid, r]));
  const ended = (result: TrialRunResult) => {
    const run = pending.get(result.uid)!;
    pending.delete(result.uid);
    results.push(result);
    options.onEnd?.(result, run);
    const list = [...(trialResults.get(run.trial.uid) ?? []), result];
    trialResults.set(run.trial.uid, list);
    if (list.length === trialRuns.get(run.trial.uid)!.length) {
      const status = experimentStatus(
        list,
        list.some((r) => r.status === RunStatus.ABORTED),
      );
      channel?.send({
        kind: "lifecycle",
        phase: "end",
        level: "trial",
        ids: { ...ids, trial: run.trial.uid },
        name: run.trial.name,
        status: RunStatus[status] as RunStatusName,
      });
    }
    if (result.status === RunStatus.FAILED && options.failFast) {
      experiment.env.logger.error(
        `Stopping the experiment after the failed run ${runLabel(run)} (fail_fast): no further runs start.`,
      );
      executor.stopStarting();
    }
  };
  const all = await executor.run(selected, ended);
  experiment.env.abortSignal?.removeEventListener("abort", onAbort);

  return experiment.finish(all, started);
}
