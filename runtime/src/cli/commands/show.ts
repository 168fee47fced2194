import { ReaderProcess } from "../reader-process";
import type { RunSummary } from "../../results/contract";
import { parse, UsageError } from "../args";
import { duration, num, table } from "../format";
import { locateDatabases } from "../locate-db";
import { displayTarget } from "../../tracking/db/sql";
import { DB_OPTIONS } from "./ls";

const USAGE = `Usage: expman show <run> [--db FILE | --workspace DIR | --config DIR] [--json]

One run in full: status and error, params, final metrics, epochs, checkpoints, artifacts and
series. <run> is a run id (from expman ls) or <trial>-<repeat> (latest experiment first).`;

export async function showCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...DB_OPTIONS, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("show takes one run (an id or <trial>-<repeat>)", USAGE);
  return withRun(values, positionals[0], async (reader, run) => {
    const runId = run.id;
    const [epochs, checkpoints, artifacts, trialArtifacts, experimentArtifacts, series, texts] = await Promise.all([
      reader.call("epochs.list", { runId }),
      reader.call("checkpoints.list", { runId }),
      reader.call("artifacts.list", { runId }),
      reader.call("artifacts.list", { trialId: run.trialId }),
      reader.call("artifacts.list", { experimentId: run.experimentId }),
      reader.call("series.keys", { runId }),
      reader.call("series.text", { runId }),
    ]);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ run, epochs, checkpoints, artifacts, trialArtifacts, experimentArtifacts, series, texts }, null, 2)}\n`,
      );
      return 0;
    }
    const out: string[] = [];
    out.push(`Run ${run.id}: ${run.experimentTitle} / ${run.trialName} repeat ${run.repeat} (seed ${run.seed ?? "-"})`);
    if (run.origin === "python-original") {
      out.push(
        `From a database written by the Python original (read-only). Not recorded by the original: ${(run.notRecorded ?? []).join(", ")}.`,
      );
      out.push(`Started ${new Date(run.startTime).toISOString()}`);
    } else {
      out.push(
        `Status: ${run.status}${run.endTime ? ` after ${duration(run.endTime - run.startTime)}` : ""}; started ${new Date(run.startTime).toISOString()}`,
      );
    }
    if (run.workspace) out.push(`Workspace: ${run.workspace}`);
    if (run.warning) out.push(`Warning: ${run.warning}`);
    if (run.error)
      out.push(
        `${run.status === "STOPPED" ? "Stopped" : "Error"}: ${run.error.message}${
          run.error.stack
            ? `\n${run.error.stack
                .split("\n")
                .map((l) => `  ${l}`)
                .join("\n")}`
            : ""
        }`,
      );
    const params = Object.entries(run.params);
    if (params.length) out.push("", "Params:", ...params.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`));
    const finals = Object.entries(run.finalMetrics);
    if (finals.length) out.push("", "Final metrics:", ...finals.map(([k, v]) => `  ${k}: ${num(v)}`));
    if (epochs.length) {
      const keys = [...new Set(epochs.flatMap((e) => Object.keys(e.metrics)))].slice(0, 6);
      out.push(
        "",
        `Epochs (${epochs.length}):`,
        table(
          ["epoch", "status", "batches", ...keys],
          epochs.map((e) => [e.idx, run.origin ? "-" : e.status, e.batchCount, ...keys.map((k) => num(e.metrics[k]))]),
        ),
      );
    }
    if (checkpoints.length) {
      out.push(
        "",
        "Checkpoints:",
        table(
          ["epoch", "path", "on disk", "val_loss"],
          checkpoints.map((c) => [
            c.final ? "final" : (c.epoch ?? ""),
            c.path,
            c.exists ? "yes" : "MISSING",
            num(c.metrics.val_loss),
          ]),
        ),
      );
    }
    if (artifacts.length) out.push("", "Artifacts:", ...artifacts.map((a) => `  ${a.type}: ${a.path}`));
    if (trialArtifacts.length)
      out.push("", `Artifacts of trial ${run.trialName}:`, ...trialArtifacts.map((a) => `  ${a.type}: ${a.path}`));
    if (experimentArtifacts.length)
      out.push(
        "",
        `Artifacts of experiment ${run.experimentTitle}:`,
        ...experimentArtifacts.map((a) => `  ${a.type}: ${a.path}`),
      );
    if (series.length)
      out.push(
        "",
        "Series:",
        ...series.map((s) => `  ${s.key} (${s.scope}): ${s.count} points, steps ${s.minStep}..${s.maxStep}`),
      );
    if (texts.length) {
      const latest = new Map(texts.map((t) => [`${t.key} (${t.scope})`, t] as const));
      out.push(
        "",
        `Text values (${texts.length}; latest of each):`,
        ...[...latest].map(([k, t]) => `  ${k}: ${JSON.stringify(t.value)?.slice(0, 200)}`),
      );
    }
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  });
}

/**
 * Reads the database (in its own process, each query with a deadline) and finds `<run>` (an
 * id, or `<trial>-<repeat>` in the newest experiment).
 */
export async function withRun(
  values: Parameters<typeof locateDatabases>[0],
  ref: string,
  body: (reader: ReaderProcess, run: RunSummary, file: string) => Promise<number>,
): Promise<number> {
  const files = locateDatabases(values);
  // With several databases, one that cannot be read does not hide a run in the others.
  const unreadable: string[] = [];
  for (const file of files) {
    const reader = new ReaderProcess(file);
    try {
      let run: RunSummary | undefined;
      try {
        run = await findRun(reader, ref);
      } catch (error) {
        if (files.length === 1) throw error;
        unreadable.push((error as Error)?.message ?? String(error));
        continue;
      }
      if (run) return await body(reader, run, file);
    } finally {
      reader.close();
    }
  }
  throw new Error(
    `No run '${ref}' in ${files.map(displayTarget).join(", ")}. Use a run id from 'expman ls' or <trial>-<repeat>.${unreadable.map((m) => `\n  Not searched: ${m}`).join("")}`,
  );
}

async function findRun(reader: ReaderProcess, ref: string): Promise<RunSummary | undefined> {
  if (/^\d+$/.test(ref)) return (await reader.call("run.get", { runId: Number(ref) })) ?? undefined;
  const m = /^(.*)[-/](\d+)$/.exec(ref);
  if (!m) return undefined;
  const runs = (await reader.call("runs.list", {})).filter((r) => r.trialName === m[1] && r.repeat === Number(m[2]));
  return runs.sort((a, b) => b.id - a.id)[0];
}
