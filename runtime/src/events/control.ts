/**
 * The control channel: requests the extension sends to a running `expman run --control
 * <channel>`, one JSON object per line (the other direction of events/contract.ts). Today one
 * request: stop one run (it ends ABORTED, the experiment goes on with its next run) or the
 * whole experiment. A run is named by trial name and repeat, which is unique within an
 * experiment and known on both sides before the run's uid exists, so a request can later be
 * routed to whichever worker process holds that run.
 *
 * Shared by the runtime (reader, control-channel.ts) and the extension (writer): both import
 * this one file.
 */
export const CONTROL_VERSION = 1;

/** One run of the experiment: `<trial>-<repeat>`. */
export interface RunKey {
  trial: string;
  repeat: number;
}

/** Stop `run`, or the whole experiment when `run` is absent (as SIGINT does). */
export interface StopRequest {
  v: typeof CONTROL_VERSION;
  kind: "stop";
  run?: RunKey;
}

export type ControlMessage = StopRequest;

export function encodeControlMessage(message: Omit<ControlMessage, "v">): string {
  return `${JSON.stringify({ v: CONTROL_VERSION, ...message })}\n`;
}

/** Parses one line; undefined for anything that is not a well-formed message of this version. */
export function parseControlMessage(line: string): ControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const m = value as Record<string, unknown>;
  if (m.v !== CONTROL_VERSION || m.kind !== "stop") return undefined;
  if (m.run === undefined) return { v: CONTROL_VERSION, kind: "stop" };
  const run = m.run as Record<string, unknown> | null;
  if (!run || typeof run.trial !== "string" || !Number.isInteger(run.repeat) || (run.repeat as number) < 0)
    return undefined;
  return { v: CONTROL_VERSION, kind: "stop", run: { trial: run.trial, repeat: run.repeat as number } };
}
