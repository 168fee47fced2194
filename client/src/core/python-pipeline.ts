/**
 * Whether a config folder's pipeline is a Python class, which `expman run` (Node) cannot run:
 * env.yaml imports a `.py` module, or the pipeline type it names is registered only in `.py`
 * files (as the language server's scan found them). Checked before anything is started, so
 * Run can say so plainly instead of failing on Python syntax. No `vscode`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { RegistryDescription } from "@expman/runtime/contracts";

export interface PythonPipeline {
  /** The pipeline type, when known. */
  type?: string;
  /** The `.py` file that defines or is imported for it. */
  file: string;
  line?: number;
}

function readYaml(dir: string, role: string): unknown {
  for (const ext of [".yaml", ".yml"]) {
    try {
      return parse(fs.readFileSync(path.join(dir, role + ext), "utf8"));
    } catch {
      /* absent or not YAML: the validator reports that */
    }
  }
  return undefined;
}

const isPy = (file: string) => /\.py$/i.test(file);

/** The pipeline types named in base.yaml and in the trials' settings. */
function pipelineTypes(dir: string): string[] {
  const typeOf = (settings: unknown) => {
    const t = (settings as { pipeline?: { type?: unknown } } | null)?.pipeline?.type;
    return typeof t === "string" ? t : undefined;
  };
  const types = [typeOf(readYaml(dir, "base"))];
  const trials = readYaml(dir, "trials");
  if (Array.isArray(trials)) for (const t of trials) types.push(typeOf((t as { settings?: unknown } | null)?.settings));
  return [...new Set(types.filter((t): t is string => Boolean(t)))];
}

export function pythonPipelineOf(dir: string, registry?: RegistryDescription): PythonPipeline | undefined {
  const env = readYaml(dir, "env") as { imports?: unknown } | undefined;
  const imports = Array.isArray(env?.imports) ? env.imports.filter((i): i is string => typeof i === "string") : [];
  const types = pipelineTypes(dir);
  for (const type of types) {
    const defs = (registry?.types ?? []).filter((t) => t.kind === "pipeline" && t.name === type && !t.builtin);
    if (defs.length > 0 && defs.every((d) => d.file && isPy(d.file)))
      return { type, file: defs[0].file!, line: defs[0].line };
  }
  const py = imports.find(isPy);
  if (py) return { type: types[0], file: path.resolve(dir, py) };
  return undefined;
}

/** What Run says for such a folder: what it is, and how to run it instead. */
export function pythonPipelineMessage(name: string, dir: string, p: PythonPipeline): string {
  const what = p.type
    ? `its pipeline '${p.type}' is a Python class (${p.file}${p.line ? `:${p.line}` : ""})`
    : `env.yaml imports a Python module (${p.file})`;
  return (
    `Not started: '${name}': ${what}. Experiment Manager runs TypeScript and JavaScript pipelines with Node, so it cannot run this one. ` +
    `Run it with the Python experiment_manager package, from a script that imports the module registering the pipeline and calls ` +
    `Experiment.create("${dir}").run(), or set experimentManager.python.runCommand (e.g. python train.py \${configDir}) to run it ` +
    `from here: it is started without a shell in the workspace folder, and the tree and the metrics panel follow the run from its database. ` +
    `Editing help (completion, hover, checks) works for it here.`
  );
}
