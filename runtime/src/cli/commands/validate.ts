import * as fs from "node:fs";
import * as path from "node:path";
import { formatConfigDiagnostic } from "../../config/validate";
import { plannedCounts } from "../../config/sweep";
import { validateConfigDir } from "../../experiment/experiment";
import { parse, UsageError } from "../args";
import { configErrorLines } from "./run";

const USAGE = `Usage: expman validate <config-dir> [--sources <dir>]... [--json]

Checks the four config files and prints each problem as file:line:col, then how many trials
and runs the folder plans (each sweep expanded, times its repeats). Exit code 1 when there are
errors. Types are known from the modules under imports: (loaded) and, as in the editor, from
registrations read (not run) in the .ts/.js/.py files under --sources (default: the project
around the config folder: the nearest folder above it with .git, package.json, pyproject.toml,
setup.py, setup.cfg or node_modules), so a project of the Python original validates too.`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: "boolean" }, sources: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("validate takes exactly one config folder", USAGE);
  const dir = path.resolve(positionals[0]);
  let diagnostics;
  let sources;
  try {
    const sourceRoots = ((values.sources as string[] | undefined) ?? [projectRoot(dir)]).map((d) => path.resolve(d));
    ({ diagnostics, sources } = await validateConfigDir(dir, { sourceRoots }));
  } catch (error) {
    const lines = configErrorLines(error);
    if (!lines) throw error;
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: false, errors: lines }, null, 2)}\n`);
    else process.stderr.write(`${lines.join("\n")}\n`);
    return 1;
  }
  const errors = diagnostics.filter((d) => d.severity === "error");
  // What the folder plans, when it can run (a sweep with a problem has no size).
  const planned = errors.length === 0 && sources ? plannedCounts(sources.trials.value) : undefined;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: errors.length === 0, diagnostics, planned }, null, 2)}\n`);
  } else {
    for (const d of diagnostics)
      (d.severity === "error" ? process.stderr : process.stdout).write(`${formatConfigDiagnostic(d)}\n`);
    const warnings = diagnostics.filter((d) => d.severity === "warning").length;
    process.stdout.write(
      errors.length === 0
        ? `${dir}: OK${warnings ? ` (${warnings} warning(s))` : ""}${planned ? `, plans ${plural(planned.runs, "run")} (${plural(planned.trials, "trial")}${planned.sweeps ? `, ${plural(planned.sweeps, "sweep")} expanded` : ""})` : ""}\n`
        : `${errors.length} error(s), ${warnings} warning(s)\n`,
    );
  }
  return errors.length === 0 ? 0 : 1;
}

/** Files or folders that mark a project's root (what an editor would open as the workspace). */
const PROJECT_MARKERS = [".git", "package.json", "pyproject.toml", "setup.py", "setup.cfg", "node_modules"];

/** The nearest folder at or above `dir` holding a project marker; the config folder's parent if none. */
function projectRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (PROJECT_MARKERS.some((m) => fs.existsSync(path.join(d, m)))) return d;
    if (path.dirname(d) === d) return path.dirname(dir);
  }
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
