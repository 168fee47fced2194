import * as path from "node:path";
import { ReaderProcess } from "../reader-process";
import type { RunSummary } from "../../results/contract";
import { parse } from "../args";
import { duration, num, table } from "../format";
import { locateDatabases } from "../locate-db";
import { displayTarget, isPostgresUrl } from "../../tracking/db/sql";
import { clusterStatus } from "../../executors/slurm";
import type { TaskState } from "../../executors/slurm-cluster";
import { RECONCILE_METHOD, type ReconcileAnswer } from "../../executors/cluster-watch";

const USAGE = `Usage: expman ls [--db FILE | --workspace DIR | --config DIR] [--json]

Lists the runs in a workspace's tracking database: id, experiment, trial, repeat, status,
epochs, time and final metrics. A run whose process died is shown ABORTED. Runs on Slurm show
the cluster's view (QUEUED with its reason, RUNNING) and their task; the final state of a task
that ended without ending its run (TIMEOUT, OUT_OF_MEMORY, CANCELLED...) is written to the store. Each database is
read in its own process with a deadline per query (EXPMAN_QUERY_TIMEOUT_MS, default 15000).`;

export const DB_OPTIONS = {
  db: { type: "string" },
  workspace: { type: "string", short: "w" },
  config: { type: "string", short: "c" },
} as const;

export async function lsCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...DB_OPTIONS, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const files = locateDatabases(values);
  const all: (RunSummary & { db: string; cluster?: { state: string; reason?: string } })[] = [];
  // One database that cannot be read is reported (named) and the others are still listed;
  // the exit code says that something was not.
  const failed: string[] = [];
  for (const file of files) {
    const reader = new ReaderProcess(file);
    try {
      // The reader writes what the cluster knows of open Slurm runs first (behind its deadline).
      const cluster = new Map<string, TaskState>();
      try {
        const found = (await reader.send(RECONCILE_METHOD, { db: file })) as ReconcileAnswer;
        for (const { uid, ...task } of found.tasks) cluster.set(uid, task);
      } catch (error) {
        process.stderr.write(
          `expman ls: could not ask the cluster about ${displayTarget(file)}'s Slurm runs: ${(error as Error).message}\n`,
        );
      }
      for (const run of await reader.call("runs.list", {})) {
        const task = cluster.get(run.uid);
        const shown = clusterStatus(task);
        // A task the cluster still holds: its state there (the run may not have written yet).
        if (shown && (run.status === "QUEUED" || run.status === "RUNNING")) run.status = shown.status;
        all.push({
          ...run,
          db: displayTarget(file),
          ...(task ? { cluster: { state: task.state, reason: task.reason } } : {}),
        });
      }
    } catch (error) {
      failed.push(file);
      process.stderr.write(`expman ls: ${describeFailure(file, error)}\n`);
    } finally {
      reader.close();
    }
  }
  const code = failed.length > 0 ? 1 : 0;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return code;
  }
  const listed = files.filter((f) => !failed.includes(f));
  if (all.length === 0) {
    if (listed.length > 0) process.stdout.write(`No runs in ${listed.map(displayTarget).join(", ")}.\n`);
    return code;
  }
  const keys = ["train_loss", "val_loss", "val_acc", "test_acc"].filter((k) => all.some((r) => k in r.finalMetrics));
  const jobs = all.some((r) => r.jobId);
  // Run ids count per database: with several, a column says whose run a row is.
  const several = files.length > 1;
  const shortName = (f: string) => (isPostgresUrl(f) ? displayTarget(f) : path.relative(process.cwd(), f));
  const rows = all.map((r) => [
    ...(several ? [shortName(r.db)] : []),
    r.id,
    r.experimentTitle,
    r.trialName,
    r.repeat,
    r.origin === "python-original"
      ? "not recorded"
      : r.status === "QUEUED" && r.cluster?.reason
        ? `QUEUED (${r.cluster.reason})`
        : r.status,
    ...(jobs ? [r.jobId ?? ""] : []),
    r.epochCount,
    r.endTime ? duration(r.endTime - r.startTime) : "",
    ...keys.map((k) => num(r.finalMetrics[k])),
  ]);
  if (several) process.stdout.write(`Databases: ${files.map(shortName).join(", ")}\n`);
  process.stdout.write(
    `${table([...(several ? ["db"] : []), "id", "experiment", "trial", "repeat", "status", ...(jobs ? ["slurm task"] : []), "epochs", "time", ...keys], rows)}\n`,
  );
  // The original's database stores no status, repeat, end time...: say so rather than invent them.
  const original = all.find((r) => r.origin === "python-original");
  if (original)
    process.stdout.write(
      `Runs from a database of the Python original (read-only): ${(original.notRecorded ?? []).join(", ")} not recorded; its runs are numbered in the order they were written.\n`,
    );
  return code;
}

/** A database's failure as one line: its name first (ls reads several), then what to do. */
function describeFailure(file: string, error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const shown = displayTarget(file);
  const named = message.includes(file) || message.includes(shown);
  return `${named ? message : `${shown}: ${message}`} (its runs are not listed)`;
}
