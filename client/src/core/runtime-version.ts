/**
 * Which protocol versions a runtime speaks (`expman version --json`), compared with the ones
 * this extension was built with (the same runtime/src/version.ts, bundled). A workspace copy
 * that speaks another version (or is too old to answer) is named with what it needs, instead
 * of its events being dropped silently. No `vscode`.
 */
import { execFile } from "node:child_process";
import { PROTOCOLS, protocolMismatches, type RuntimeVersionInfo } from "@expman/runtime/contracts";
import { runtimeEnv, type RuntimeLocation } from "./runtime-locator";

export interface RuntimeCompatibility {
  info?: RuntimeVersionInfo;
  /** e.g. "events 2 (needs 1)"; empty when compatible. */
  mismatches: string[];
}

/** Runs `<cli> version --json`; a runtime without the command answers with every protocol "none". */
export function readRuntimeVersion(
  node: string,
  runtime: RuntimeLocation,
  timeoutMs = 15_000,
): Promise<RuntimeCompatibility> {
  return new Promise((resolve) => {
    execFile(
      node,
      [runtime.cli, "version", "--json"],
      { env: runtimeEnv(runtime), timeout: timeoutMs, shell: false, windowsHide: true },
      (error, stdout) => {
        let info: RuntimeVersionInfo | undefined;
        try {
          const parsed = JSON.parse(stdout) as RuntimeVersionInfo;
          if (parsed && typeof parsed.runtime === "string" && parsed.protocols) info = parsed;
        } catch {
          /* an older runtime: 'unknown command' and exit 2 */
        }
        resolve({ info, mismatches: protocolMismatches(error && !info ? undefined : info?.protocols) });
      },
    );
  });
}

/** What the user reads when a workspace runtime does not fit this extension. */
export function incompatibleMessage(runtime: RuntimeLocation, c: RuntimeCompatibility): string {
  const needs = `events v${PROTOCOLS.events}, control v${PROTOCOLS.control}, query v${PROTOCOLS.query}`;
  return (
    `The Experiment Manager runtime installed in this workspace (${c.info?.runtime ?? runtime.version}, ${runtime.packageDir}) does not speak what this extension needs ` +
    `(${c.mismatches.join(", ")}; needs ${needs}): live progress, Stop Run and the tree may not work. Install Runtime in Workspace to update it.`
  );
}
