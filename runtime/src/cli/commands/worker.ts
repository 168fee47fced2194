import * as path from "node:path";
import { RunStatus } from "../../common/enums";
import { EventChannel } from "../../events/channel";
import { EventsTracker } from "../../events/events-tracker";
import { Logger } from "../../env/logger";
import { Experiment } from "../../experiment/experiment";
import { ConfigChangedError } from "../../experiment/config-diff";
import type { FromWorker, ToWorker } from "../../executors/worker-protocol";
import { parse, UsageError } from "../args";
import { configErrorLines } from "./run";

const USAGE = `Usage: expman worker <config-dir> --experiment <uid> [--index N] [--workspace DIR] [--events fd:N|FILE]

Internal: executes run N of the plan of experiment <uid> (planned by 'expman run', which
starts workers for --jobs N and submits them as Slurm array tasks). Without --index the
index is $SLURM_ARRAY_TASK_ID. Exit code: 0 when the run succeeded or stopped early, 1 when
it failed, 2 when the config folder no longer matches the plan, 130 when it was stopped.`;

/**
 * One planned run in its own process. It refuses a config folder that changed since the plan
 * (the index would name another run), ends its run ABORTED on SIGINT/SIGTERM (Slurm's scancel),
 * on a stop message from its coordinator, and when the coordinator goes away.
 */
export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      experiment: { type: "string" },
      index: { type: "string" },
      workspace: { type: "string", short: "w" },
      events: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("worker takes exactly one config folder", USAGE);
  if (!values.experiment) throw new UsageError("--experiment <uid> is required", USAGE);
  const rawIndex = values.index ?? process.env.SLURM_ARRAY_TASK_ID;
  const index = Number(rawIndex);
  if (rawIndex === undefined || !Number.isInteger(index) || index < 0) {
    throw new UsageError(
      `--index must be a run index >= 0 (got ${rawIndex ?? "nothing, and no SLURM_ARRAY_TASK_ID"})`,
      USAGE,
    );
  }
  const configDir = path.resolve(positionals[0]);
  const channel = values.events ? EventChannel.open(values.events) : undefined;
  if (channel) {
    Logger.globalListeners.push((level, message, time) =>
      channel.send({ kind: "log", level, message, t: time.getTime() }),
    );
  }

  let experiment: Experiment;
  try {
    experiment = await Experiment.create(configDir, {
      workspace: values.workspace,
      extraTrackers: channel ? [new EventsTracker(configDir, channel)] : [],
      experimentUid: values.experiment,
    });
  } catch (error) {
    const lines = error instanceof ConfigChangedError ? [error.message] : configErrorLines(error);
    if (!lines) throw error;
    process.stderr.write(`${lines.join("\n")}\n`);
    channel?.send({ kind: "error", message: lines.join("\n") });
    await channel?.close();
    return 2;
  }

  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    experiment.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A coordinator that stops us, or that is gone (its IPC channel closed), ends the run.
  process.on("message", (message: ToWorker) => {
    if (message?.kind === "stop") experiment.abort();
  });
  process.on("disconnect", () => experiment.abort());

  // The signal listeners stay until the process ends: a signal after the run (while its result
  // is sent) only makes the second one quit at once, never ends the process by the signal.
  const result = await experiment.runPlanned(index);
  if (process.send && process.connected) {
    const message: FromWorker = { kind: "result", result: { ...result, returned: undefined } };
    await new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
  }
  await channel?.close();
  if (process.connected) process.disconnect();
  if (result.status === RunStatus.ABORTED) return 130;
  return result.status === RunStatus.FAILED ? 1 : 0;
}
