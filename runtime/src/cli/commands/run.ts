import * as path from "node:path";
import { RunStatus } from "../../common/enums";
import { toErrorInfo } from "../../common/errors";
import { EventChannel } from "../../events/channel";
import { readControlChannel } from "../../events/control-channel";
import { EventsTracker } from "../../events/events-tracker";
import { Logger } from "../../env/logger";
import { Experiment, ConfigValidationError } from "../../experiment/experiment";
import { formatConfigDiagnostic } from "../../config/validate";
import { parse, UsageError } from "../args";
import { duration, num, table } from "../format";
import { ProgressTracker } from "../progress";
import { RunBoard } from "../run-board";
import { runLabel } from "../../experiment/plan";
import { NothingToResumeError } from "../../experiment/resume";
import { ConfigChangedError } from "../../experiment/config-diff";
import { runWithWorkers } from "../../executors/run-local";
import type { LocalExecutor } from "../../executors/local";
import { closeOpenStoresFailed } from "../../tracking/db/open-stores";
import { SlurmUnavailableError } from "../../executors/slurm-cluster";
import { EXECUTORS, type ExecutorName } from "../../executors/slurm-options";
import { chosenExecutor, runOnSlurm, slurmPreflight } from "../run-slurm";

const USAGE = `Usage: expman run <config-dir> [--only TRIAL[-REPEAT]]... [--jobs N] [--resume] [--workspace DIR]
                  [--executor local|slurm] [--wait] [--events fd:N|FILE] [--control fd:N] [--fail-fast] [--quiet]

Runs every trial of the experiment in <config-dir> (env.yaml, experiment.yaml, base.yaml,
trials.yaml). The plan (trials, and every run QUEUED) is written to the store first.

  --only SPEC     run only these: a trial name (all its repeats) or <trial>-<repeat>
                  (repeatable, or comma-separated); the experiment holds just those runs.
  --jobs N        run up to N runs at once, each in its own worker process (also 'parallel: N'
                  in env.yaml). Without it runs execute one after another in this process.
  --resume        continue the latest experiment of <config-dir>: runs that ended SUCCESS or
                  STOPPED are kept, the others run again (from their last checkpoint when the
                  pipeline implements resume(checkpointPath)); a changed config is refused.
  --executor slurm  submit the runs to Slurm as one array job (sbatch; also 'executor: slurm'
                  in env.yaml, options under 'slurm:'): returns once submitted, printing the job
                  id; each task runs one run and writes it to the store. 'expman ls' follows them.
  --wait          with Slurm: follow the runs until all have ended (exit 1 if one did not succeed).
  --control fd:N  read stop requests (JSON lines, events/control.ts) from that descriptor: one
                  run stops ABORTED and the experiment goes on, or the whole experiment stops.

Exit code: 0 when all runs succeeded, stopped early or were stopped on request; 1 when a run,
a tracker or the experiment failed (a database that cannot be written, an uncaught error, a
worker killed from outside), with the reason printed and stored; 2 for config errors; 130
when interrupted (Ctrl-C: the active runs end ABORTED; a second Ctrl-C quits at once).`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      workspace: { type: "string", short: "w" },
      events: { type: "string" },
      control: { type: "string" },
      only: { type: "string", multiple: true },
      "fail-fast": { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      jobs: { type: "string", short: "j" },
      resume: { type: "boolean" },
      executor: { type: "string" },
      wait: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("run takes exactly one config folder", USAGE);
  const configDir = path.resolve(positionals[0]);
  const jobsOption = values.jobs === undefined ? undefined : parseJobs(values.jobs, "--jobs");
  const executorFlag = parseExecutor(values.executor);
  const channel = values.events ? EventChannel.open(values.events) : undefined;
  if (channel) {
    Logger.globalListeners.push((level, message, time) =>
      channel.send({ kind: "log", level, message, t: time.getTime() }),
    );
  }
  const progress = new ProgressTracker(configDir, values.quiet ? devNull() : process.stderr);
  const extraTrackers = [progress, ...(channel ? [new EventsTracker(configDir, channel)] : [])];

  // Installed before anything runs and kept until the process ends: a signal at any moment
  // (even two within a few ms, or one after the runs) ends with 130, never by the signal.
  let experiment: Experiment | undefined;
  let workers: LocalExecutor | undefined;
  let slurmJob: string | undefined;
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1 && experiment && slurmJob) {
      experiment.abort(); // --wait stops following; the job goes on
    } else if (interrupts === 1 && experiment) {
      process.stderr.write(
        `\n${signal}: stopping at the next epoch or batch; the active runs end ABORTED. Press Ctrl-C again to quit now.\n`,
      );
      experiment.abort();
    } else {
      workers?.killAll();
      // In this process, runs that never began are ended now (none is left QUEUED); a worker's
      // run is its own, and reads ABORTED once its process is gone.
      if (!workers) {
        try {
          experiment?.endUnstartedNow();
        } catch {
          // The store cannot be written now: the experiment's end (exit hook) still says ABORTED.
        }
      }
      // Leave now. Buffered points are flushed by the trackers' exit handlers; a run left
      // RUNNING is stored ABORTED by them (or shown ABORTED by readers once its heartbeat stops).
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // An error thrown where nothing awaits it (a timer, an unawaited promise in a pipeline):
  // say so, store the runs FAILED with the message, exit 1.
  const onUncaught = (error: unknown) => {
    const info = toErrorInfo(error);
    process.stderr.write(
      `\nexpman run: uncaught error in the pipeline (thrown outside any awaited call): ${info.message}\n${indent(info.stack ?? "")}\n`,
    );
    channel?.send({ kind: "error", message: `Uncaught error: ${info.message}` });
    closeOpenStoresFailed({ message: `Uncaught error: ${info.message}`, stack: info.stack });
    process.exit(1);
  };
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);

  try {
    experiment = await Experiment.create(configDir, {
      workspace: values.workspace,
      extraTrackers,
      failFast: values["fail-fast"],
      only: values.only,
      resume: values.resume,
      preflight: (sources) => slurmPreflight(executorFlag, sources),
    });
  } catch (error) {
    if (error instanceof SlurmUnavailableError) {
      process.stderr.write(`expman run: ${error.message}\n`);
      await channel?.close();
      return 1;
    }
    if (error instanceof NothingToResumeError) {
      process.stderr.write(`${error.message}\n`);
      channel?.send({ kind: "error", message: error.message });
      await channel?.close();
      return error.reason === "done" ? 0 : 2;
    }
    const lines = error instanceof ConfigChangedError ? [error.message] : configErrorLines(error);
    if (!lines) throw error;
    process.stderr.write(`${lines.join("\n")}\n${lines.length} problem(s) in ${configDir}; nothing was run.\n`);
    channel?.send({ kind: "error", message: lines.join("\n") });
    await channel?.close();
    return 2;
  }

  if (experiment.configWarnings.length > 0)
    process.stderr.write(`${experiment.configWarnings.map(formatConfigDiagnostic).join("\n")}\n`);

  const closeControl = values.control
    ? readControlChannel(
        values.control,
        (message) => {
          if (!message.run) {
            process.stderr.write(
              "\nstop requested: stopping at the next epoch or batch; the current run ends ABORTED.\n",
            );
            experiment!.abort();
            return;
          }
          const { trial, repeat } = message.run;
          const state = workers ? workers.stopRunByKey(message.run) : experiment!.stopRun(message.run);
          const text =
            state === "unknown"
              ? `stop requested for run ${trial}-${repeat}: no such run is active or waiting`
              : state === "running"
                ? `stop requested for run ${trial}-${repeat}: it ends ABORTED at its next epoch or batch; the experiment goes on`
                : `stop requested for run ${trial}-${repeat}: it has not started; it will end ABORTED when it does`;
          process.stderr.write(`\n${text}\n`);
          channel?.send({ kind: "log", level: "INFO", message: text });
        },
        (line) =>
          process.stderr.write(
            `warning: ignored a control message that is not a valid request: ${line.slice(0, 200)}\n`,
          ),
      )
    : undefined;

  if (chosenExecutor(executorFlag, experiment.sources) === "slurm") {
    const code = await runOnSlurm(experiment, {
      wait: values.wait === true,
      quiet: values.quiet === true,
      signal: experiment.env.abortSignal,
      onSubmitted: (job) => (slurmJob = job),
    });
    closeControl?.();
    await channel?.close();
    return code;
  }
  if (values.wait)
    process.stderr.write("warning: --wait is for Slurm runs; this run is local and ends with the command.\n");

  const envConfig = (experiment.sources.env.value ?? {}) as Record<string, unknown>;
  const jobs = jobsOption ?? (typeof envConfig.parallel === "number" ? envConfig.parallel : undefined);
  const board =
    jobs === undefined
      ? undefined
      : new RunBoard(values.quiet ? devNull() : process.stderr, experiment.selected.length, experiment.plannedRuns);
  const result =
    jobs === undefined
      ? await experiment.run()
      : await runWithWorkers(experiment, {
          jobs,
          workspace: values.workspace,
          failFast: values["fail-fast"] ?? envConfig.fail_fast === true,
          channel,
          attach: (executor) => (workers = executor),
          onStart: (run, pid) => board!.started(run, pid),
          onEvent: (event, run) => board!.event(event, run),
          onEnd: (r, run) => board!.ended(run, r.status, r.error?.message),
          onOutput: (run, stream, line) =>
            (stream === "stdout" ? process.stdout : process.stderr).write(`[${runLabel(run)}] ${line}\n`),
        });
  board?.close();
  closeControl?.();

  if (!values.quiet) {
    const finalsOf = (uid: string) => (board ? board.finals.get(uid) : progress.finalMetrics.get(uid)) ?? {};
    const keys = metricColumns(result.runs.map((r) => finalsOf(r.uid)));
    const rows = result.runs.map((r) => {
      const metrics = finalsOf(r.uid);
      return [
        r.trial,
        r.repeat,
        r.seed,
        RunStatus[r.status],
        duration(r.durationMs),
        ...keys.map((k) => num(metrics[k])),
      ];
    });
    process.stdout.write(`\n${table(["trial", "repeat", "seed", "status", "time", ...keys], rows)}\n`);
    process.stdout.write(
      `\nExperiment '${result.title}' ${RunStatus[result.status]} in ${duration(result.durationMs)}; workspace ${result.workspace}\n`,
    );
    for (const r of result.runs.filter((x) => x.error)) {
      process.stderr.write(`\n${r.trial}-${r.repeat} failed: ${r.error!.message}\n${indent(r.error!.stack ?? "")}\n`);
    }
  }
  // The reasons go to stderr even with --quiet: a non-zero exit always says why.
  for (const f of result.trackerFailures) process.stderr.write(`error: tracker failure: ${f}\n`);
  if (result.error && result.trackerFailures.length === 0)
    process.stderr.write(`error: experiment failed: ${result.error.message}\n`);
  await channel?.close();
  if (experiment.aborted && !result.error) return 130;
  // A run stopped on request is not a failure; one whose worker was killed from outside is.
  const lost = result.runs.some((r) => r.status === RunStatus.ABORTED && r.error);
  const failed =
    result.status === RunStatus.FAILED ||
    lost ||
    result.runs.some((r) => r.status === RunStatus.FAILED) ||
    result.trackerFailures.length > 0;
  return failed ? 1 : 0;
}

/** `--jobs`: a whole number of worker processes, at least 1 (env.yaml's `parallel` is validated with the config). */
function parseJobs(value: string, what: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${what} must be a whole number of parallel runs >= 1 (got ${JSON.stringify(value)})`, USAGE);
  return n;
}

/** `--executor`: local or slurm. */
function parseExecutor(value: string | undefined): ExecutorName | undefined {
  if (value === undefined) return undefined;
  if ((EXECUTORS as readonly string[]).includes(value)) return value as ExecutorName;
  throw new UsageError(`--executor must be one of ${EXECUTORS.join(", ")} (got ${JSON.stringify(value)})`, USAGE);
}

/** The printable lines of a config problem, or undefined when the error is something else. */
export function configErrorLines(error: unknown): string[] | undefined {
  if (error instanceof ConfigValidationError) return error.diagnostics.map(formatConfigDiagnostic);
  return undefined;
}

/** Columns for the summary: the usual suspects first, then a few others. */
function metricColumns(finals: Record<string, number>[]): string[] {
  const all = new Set(finals.flatMap((f) => Object.keys(f)));
  const preferred = ["train_loss", "val_loss", "val_acc", "test_loss", "test_acc"].filter((k) => all.has(k));
  const rest = [...all]
    .filter((k) => !preferred.includes(k))
    .sort()
    .slice(0, Math.max(0, 6 - preferred.length));
  return [...preferred, ...rest];
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function devNull(): NodeJS.WriteStream {
  return { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
}
