/**
 * What a runtime speaks: its package version and the versions of the protocols between it and
 * the extension (run events, the control channel, the query service). `expman version --json`
 * prints it; the extension compares it with the versions it was built with before it uses a
 * runtime installed in a workspace, and says what to do when they differ.
 */
import { CONTROL_VERSION } from "./events/control";
import { EVENTS_VERSION } from "./events/contract";
import { QUERY_PROTOCOL_VERSION } from "./results/contract";

export interface RuntimeVersionInfo {
  /** The @expman/runtime package version. */
  runtime: string;
  protocols: {
    events: number;
    control: number;
    query: number;
  };
}

/** The protocol versions this code speaks (the extension bundles the same file). */
export const PROTOCOLS: RuntimeVersionInfo["protocols"] = {
  events: EVENTS_VERSION,
  control: CONTROL_VERSION,
  query: QUERY_PROTOCOL_VERSION,
};

/** The protocols in which `theirs` differs from `ours` ("events 2 (needs 1)"), empty when compatible. */
export function protocolMismatches(
  theirs: Partial<RuntimeVersionInfo["protocols"]> | undefined,
  ours = PROTOCOLS,
): string[] {
  return (Object.keys(ours) as (keyof typeof ours)[])
    .filter((k) => theirs?.[k] !== ours[k])
    .map((k) => `${k} ${theirs?.[k] ?? "none"} (needs ${ours[k]})`);
}
