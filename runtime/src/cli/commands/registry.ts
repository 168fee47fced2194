import * as path from "node:path";
import { registerBuiltins } from "../../builtins/register-builtins";
import { validateConfigDir } from "../../experiment/experiment";
import { getRegistry } from "../../registry/registry";
import { parse } from "../args";
import { table } from "../format";

const USAGE = `Usage: expman registry [--json] [--config-dir DIR]

Lists the registered pipelines, trackers and callbacks with their options. With --config-dir,
first loads the modules that folder's env.yaml imports.`;

export async function registryCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { json: { type: "boolean" }, "config-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  registerBuiltins();
  if (values["config-dir"]) await validateConfigDir(path.resolve(values["config-dir"]));
  const description = getRegistry().describe();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
    return 0;
  }
  const rows = description.types.map((t) => [
    t.kind,
    t.name,
    Object.keys(t.params ?? {}).join(", "),
    t.builtin ? "built-in" : (t.file ?? ""),
  ]);
  process.stdout.write(`${table(["kind", "name", "options", "source"], rows)}\n`);
  return 0;
}
