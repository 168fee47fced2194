import { openForWriting } from "../../tracking/db/connection";
import { isPostgresUrl, type SqlDb } from "../../tracking/db/sql";
import { openPgForWriting } from "../../tracking/pg/open";
import { changeRunTags, RunNotesError, setRunNote } from "../../tracking/db/run-notes";
import { parse, UsageError } from "../args";
import { DB_OPTIONS } from "./ls";
import { withRun } from "./show";

const NOTE_USAGE = `Usage: expman note <run> [text...] [--clear] [--db FILE | --workspace DIR | --config DIR]

Sets the note of a run (what you want to remember about it; searchable in the runs table with
note ~ "text"). Without text, prints the note; --clear removes it. <run> is a run id (from
expman ls) or <trial>-<repeat>. Text starting with - goes after --: expman note 12 -- "-3 dB".`;

const TAG_USAGE = `Usage: expman tag <run> [tag...] [--remove | --set] [--db FILE | --workspace DIR | --config DIR]

Adds tags to a run (one word each: letters, digits and _ - . / : = +; commas separate too).
--remove removes the tags given, --set replaces all of them (--set alone removes all).
Without tags, prints the run's tags. Search them in the runs table with tags == best.`;

function runName(run: { id: number; trialName: string; repeat: number }): string {
  return `run ${run.id} (${run.trialName}-${run.repeat})`;
}

/** Writes to the store the run was found in; a bad note or tag is a usage error, the store untouched. */
function writing<T>(target: string, usage: string, body: (db: SqlDb) => T): T {
  const db: SqlDb = isPostgresUrl(target) ? openPgForWriting(target) : openForWriting(target);
  try {
    return body(db);
  } catch (error) {
    if (error instanceof RunNotesError) throw new UsageError(error.message, usage);
    throw error;
  } finally {
    db.close();
  }
}

export async function noteCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...DB_OPTIONS, clear: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    NOTE_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${NOTE_USAGE}\n`);
    return 0;
  }
  const [ref, ...words] = positionals;
  if (!ref) throw new UsageError("note takes a run (an id or <trial>-<repeat>)", NOTE_USAGE);
  if (values.clear && words.length) throw new UsageError("give a note or --clear, not both", NOTE_USAGE);
  return withRun(values, ref, async (_reader, run, file) => {
    if (!values.clear && words.length === 0) {
      const note = run.note ?? "";
      process.stdout.write(note ? `${note}\n` : `${runName(run)} has no note.\n`);
      return 0;
    }
    const text = values.clear ? "" : words.join(" ");
    writing(file, NOTE_USAGE, (db) => setRunNote(db, run.id, text));
    process.stdout.write(text.trim() ? `Note of ${runName(run)} saved.\n` : `Note of ${runName(run)} removed.\n`);
    return 0;
  });
}

export async function tagCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...DB_OPTIONS,
      remove: { type: "boolean" },
      set: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    TAG_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${TAG_USAGE}\n`);
    return 0;
  }
  const [ref, ...tags] = positionals;
  if (!ref) throw new UsageError("tag takes a run (an id or <trial>-<repeat>)", TAG_USAGE);
  if (values.remove && values.set) throw new UsageError("give --remove or --set, not both", TAG_USAGE);
  return withRun(values, ref, async (_reader, run, file) => {
    if (tags.length === 0 && !values.set) {
      if (values.remove) throw new UsageError("--remove needs the tags to remove", TAG_USAGE);
      const now = run.tags ?? [];
      process.stdout.write(now.length ? `${now.join(" ")}\n` : `${runName(run)} has no tags.\n`);
      return 0;
    }
    const change = values.set ? { set: tags } : values.remove ? { remove: tags } : { add: tags };
    const now = writing(file, TAG_USAGE, (db) => changeRunTags(db, run.id, change));
    process.stdout.write(`Tags of ${runName(run)}: ${now.length ? now.join(" ") : "(none)"}\n`);
    return 0;
  });
}
