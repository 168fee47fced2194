import * as path from "node:path";
import { copyExperiments, CopyRefused } from "../../results/copy";
import { displayTarget, isPostgresUrl } from "../../tracking/db/sql";
import { parse, UsageError } from "../args";

const USAGE = `Usage: expman db copy <from> <to> [--experiment ID|UID|TITLE]... [--json]

Copies experiments between tracking stores: a SQLite file (created if missing) or a
PostgreSQL URL (postgresql://user:password@host:port/database), in either direction. Every
row comes along (runs, epochs, metric points chunk for chunk, params, checkpoints, artifacts)
with new ids in the target; the copy is one transaction and is checked point for point, so a
failure leaves the target as it was. Without --experiment, all experiments are copied. An
experiment the target already holds (same uid), or one still being written, is refused.
The source is not changed.`;

export async function dbCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      experiment: { type: "string", short: "e", multiple: true },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [sub, from, to, ...extra] = positionals;
  if (sub !== "copy") throw new UsageError(sub ? `unknown subcommand '${sub}'` : "missing subcommand", USAGE);
  if (!from || !to || extra.length > 0) throw new UsageError("give exactly a source and a target store", USAGE);
  const [source, target] = [from, to].map((t) => (isPostgresUrl(t) ? t : path.resolve(t)));
  try {
    const copied = copyExperiments(source, target, values.experiment ?? []);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(copied, null, 2)}\n`);
      return 0;
    }
    for (const c of copied) {
      process.stdout.write(
        `Copied experiment '${c.title}' (${c.rows.trial} trials, ${c.rows.trial_run} runs, ${c.rows.epoch} epochs, ${c.points} points, ${c.rows.checkpoint} checkpoints, ${c.rows.artifact} artifacts) from ${displayTarget(source)} to ${displayTarget(target)}.\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof CopyRefused) {
      process.stderr.write(`expman db copy: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
