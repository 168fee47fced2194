import * as fs from "node:fs";
import { isScope, SCOPES } from "../../common/vocabulary";
import type { Series, TextPoint } from "../../results/contract";
import { parse, UsageError } from "../args";
import { DB_OPTIONS } from "./ls";
import { withRun } from "./show";
import { csvCell } from "../../results/csv";

/** The CSV cell rule (quoting, no formulas) is the one the metrics panel uses too. */
export { csvCell };

const USAGE = `Usage: expman export <run> [--format csv|json] [--key KEY] [--scope batch|epoch|run] [--out FILE]
                     [--db FILE | --workspace DIR | --config DIR]

Writes a run's metric series (all points, not downsampled): CSV in long format
(key,scope,step,value,time) that pandas, spreadsheets and other tools read, or JSON with the
run summary. Values that are not numbers (text, objects) follow their series as JSON text.
Cells a spreadsheet would run as a formula (starting with = + - @) are quoted as text.
A run with per-label values gets two more CSV columns, metric and label (on other series
the metric is the key and the label is empty), and JSON series carry "metric" and "label"; --key names a series or a metric (then
its per-label series too). To stdout unless --out is given.`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...DB_OPTIONS,
      format: { type: "string", short: "f", default: "csv" },
      key: { type: "string", short: "k" },
      scope: { type: "string" },
      out: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("export takes one run (an id or <trial>-<repeat>)", USAGE);
  if (values.format !== "csv" && values.format !== "json")
    throw new UsageError(`--format must be csv or json, got '${values.format}'`, USAGE);
  if (values.scope && !isScope(values.scope))
    throw new UsageError(`--scope must be ${SCOPES.join(", ")}, got '${values.scope}'`, USAGE);
  return withRun(values, positionals[0], async (reader, run) => {
    const wanted = (k: { key: string; scope: string; metric?: string }) =>
      (!values.key || k.key === values.key || k.metric === values.key) && (!values.scope || k.scope === values.scope);
    const keys = (await reader.call("series.keys", { runId: run.id })).filter(wanted);
    const texts = (await reader.call("series.text", { runId: run.id, key: values.key })).filter(wanted);
    if (keys.length === 0 && texts.length === 0)
      throw new Error(
        `Run ${run.id} has no series${values.key ? ` named '${values.key}'` : ""}${values.scope ? ` at ${values.scope} scope` : ""}.`,
      );
    const series: Series[] = [];
    for (const k of keys)
      series.push(await reader.call("series.get", { runId: run.id, key: k.key, scope: k.scope, label: k.label }));
    const text =
      values.format === "csv"
        ? toCsv(series, texts)
        : `${JSON.stringify({ run, series: series.map(jsonSeries), texts }, null, 2)}\n`;
    if (values.out) {
      fs.writeFileSync(values.out, text);
      const points = series.reduce((n, s) => n + s.steps.length, 0);
      process.stderr.write(
        `Wrote ${points} points of ${series.length} series${texts.length ? ` and ${texts.length} text values` : ""} to ${values.out}\n`,
      );
    } else {
      process.stdout.write(text);
    }
    return 0;
  });
}

function valueAt(s: Series, i: number): string {
  const v = s.values[i];
  return v === null ? (s.nonFinite?.[i] ?? "") : String(v);
}

export function toCsv(series: Series[], texts: TextPoint[] = []): string {
  // The label columns only when there are labels: other exports keep their five columns.
  const labelled = series.some((s) => s.label !== undefined);
  const lines = [labelled ? "key,scope,step,value,time,metric,label" : "key,scope,step,value,time"];
  for (const s of series) {
    const key = csvCell(s.key);
    const tail = labelled ? `,${csvCell(s.metric ?? s.key)},${csvCell(s.label ?? "")}` : "";
    for (let i = 0; i < s.steps.length; i++) {
      lines.push(`${key},${s.scope},${s.steps[i]},${valueAt(s, i)},${new Date(s.times[i]).toISOString()}${tail}`);
    }
  }
  for (const t of texts) {
    const value = typeof t.value === "string" ? t.value : (JSON.stringify(t.value) ?? "null");
    lines.push(
      `${csvCell(t.key)},${t.scope},${t.step ?? ""},${csvCell(value)},${new Date(t.time).toISOString()}${labelled ? `,${csvCell(t.key)},` : ""}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function jsonSeries(s: Series) {
  const label = s.label !== undefined ? { metric: s.metric, label: s.label } : {};
  return {
    key: s.key,
    ...label,
    scope: s.scope,
    steps: s.steps,
    values: s.values.map((v, i) => (v === null ? (s.nonFinite?.[i] ?? null) : v)),
    times: s.times,
  };
}
