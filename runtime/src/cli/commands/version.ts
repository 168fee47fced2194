import { PROTOCOLS, type RuntimeVersionInfo } from "../../version";
import { parse } from "../args";

const USAGE = `Usage: expman version [--json]

Prints the runtime's version and the versions of the protocols the editor extension speaks
with it (run events, control channel, query service).`;

export async function versionCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const info: RuntimeVersionInfo = {
    runtime: (require("../../../package.json") as { version: string }).version,
    protocols: PROTOCOLS,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else
    process.stdout.write(
      `@expman/runtime ${info.runtime} (events v${info.protocols.events}, control v${info.protocols.control}, query v${info.protocols.query})\n`,
    );
  return 0;
}
