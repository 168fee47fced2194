import * as fs from "node:fs";
import { isScope, SCOPES } from "../../common/vocabulary";
import type { Series } from "../../results/contract";
import { parse, UsageError } from "../args";
import { DB_OPTIONS } from "./ls";
import { withRun } from "./show";

const USAGE = `Usage: expman export <run> [--format csv|json] [--key KEY] [--scope batch|epoch|run] [--out FILE]
                     [--db FILE | --workspace DIR | --config DIR]

Writes a run's metric series (all points, not downsampled): CSV in long format
(key,scope,step,value,time) that pandas, spreadsheets and other tools read, or JSON with the
run summary. To stdout unless --out is given.`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...DB_OPTIONS,
    format: { type: "string", short: "f", default: "csv" },
    key: { type: "string", short: "k" },
    scope: { type: "string" },
    out: { type: "string", short: "o" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("export takes one run (an id or <trial>-<repeat>)", USAGE);
  if (values.format !== "csv" && values.format !== "json") throw new UsageError(`--format must be csv or json, got '${values.format}'`, USAGE);
  if (values.scope && !isScope(values.scope)) throw new UsageError(`--scope must be ${SCOPES.join(", ")}, got '${values.scope}'`, USAGE);
  return withRun(values, positionals[0], (store, run) => {
    const keys = store.seriesKeys(run.id).filter((k) => (!values.key || k.key === values.key) && (!values.scope || k.scope === values.scope));
    if (keys.length === 0) throw new Error(`Run ${run.id} has no series${values.key ? ` named '${values.key}'` : ""}.`);
    const series = keys.map((k) => store.getSeries({ runId: run.id, key: k.key, scope: k.scope }));
    const text = values.format === "csv" ? toCsv(series) : `${JSON.stringify({ run, series: series.map(jsonSeries) }, null, 2)}\n`;
    if (values.out) {
      fs.writeFileSync(values.out, text);
      process.stderr.write(`Wrote ${series.reduce((n, s) => n + s.steps.length, 0)} points of ${series.length} series to ${values.out}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  });
}

function valueAt(s: Series, i: number): string {
  const v = s.values[i];
  return v === null ? s.nonFinite?.[i] ?? "" : String(v);
}

export function toCsv(series: Series[]): string {
  const lines = ["key,scope,step,value,time"];
  for (const s of series) {
    const key = /[",\n]/.test(s.key) ? `"${s.key.replace(/"/g, '""')}"` : s.key;
    for (let i = 0; i < s.steps.length; i++) {
      lines.push(`${key},${s.scope},${s.steps[i]},${valueAt(s, i)},${new Date(s.times[i]).toISOString()}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function jsonSeries(s: Series) {
  return { key: s.key, scope: s.scope, steps: s.steps, values: s.values.map((v, i) => (v === null ? s.nonFinite?.[i] ?? null : v)), times: s.times };
}
