/**
 * The user's notes and tags on runs (`expman note`, `expman tag`, the tree, the runs table).
 * They are the user's words about a run, not tracked data: written by their own small
 * transactions on an open writable connection, next to a run that may still be writing.
 * Stored in two plain tables (schema 8): `run_note` (one row per run) and `run_tag`; the SQL
 * here is the same in SQLite and PostgreSQL (SqlDb).
 */
import type { SqlDb } from "./sql";

/** Longest note and tag kept; longer input is refused (it would be a paste gone wrong). */
export const MAX_NOTE_LENGTH = 10_000;
export const MAX_TAG_LENGTH = 100;

export class RunNotesError extends Error {}

/**
 * Tags as stored: split on commas and whitespace, trimmed, without duplicates, sorted. A tag
 * is one word: letters, digits and `_ - . / : = +` (it is searched with `tags == best`).
 */
export function normalizeTags(input: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of input)
    for (const t of raw.split(/[\s,]+/)) {
      if (!t) continue;
      if (t.length > MAX_TAG_LENGTH)
        throw new RunNotesError(`tag '${t.slice(0, 20)}…' is longer than ${MAX_TAG_LENGTH} characters`);
      if (!/^[\p{L}\p{N}_\-./:=+]+$/u.test(t))
        throw new RunNotesError(`tag '${t}' has characters a tag cannot hold: use letters, digits and _ - . / : = +`);
      out.add(t);
    }
  return [...out].sort();
}

function requireRun(db: SqlDb, runId: number): void {
  const row = db.prepare("SELECT id FROM trial_run WHERE id = ?").get(runId);
  if (!row) throw new RunNotesError(`no run ${runId} in this database`);
}

/** Sets a run's note ("" removes it). */
export function setRunNote(db: SqlDb, runId: number, note: string, time = Date.now()): void {
  if (note.length > MAX_NOTE_LENGTH)
    throw new RunNotesError(`the note is ${note.length} characters long; at most ${MAX_NOTE_LENGTH} are kept`);
  db.transaction(() => {
    requireRun(db, runId);
    if (note.trim() === "") db.prepare("DELETE FROM run_note WHERE run_id = ?").run(runId);
    else
      db.prepare(
        "INSERT INTO run_note (run_id, note, updated) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET note = excluded.note, updated = excluded.updated",
      ).run(runId, note, time);
  }).immediate();
}

/** Changes a run's tags: `set` replaces them all, else `add` then `remove`. Returns the tags now. */
export function changeRunTags(
  db: SqlDb,
  runId: number,
  change: { set?: readonly string[]; add?: readonly string[]; remove?: readonly string[] },
): string[] {
  const set = change.set ? normalizeTags(change.set) : undefined;
  const add = normalizeTags(change.add ?? []);
  const remove = normalizeTags(change.remove ?? []);
  return db
    .transaction(() => {
      requireRun(db, runId);
      if (set) db.prepare("DELETE FROM run_tag WHERE run_id = ?").run(runId);
      const insert = db.prepare("INSERT INTO run_tag (run_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING");
      for (const t of [...(set ?? []), ...add]) insert.run(runId, t);
      const del = db.prepare("DELETE FROM run_tag WHERE run_id = ? AND tag = ?");
      for (const t of remove) del.run(runId, t);
      return runTags(db, runId);
    })
    .immediate();
}

export function runTags(db: SqlDb, runId: number): string[] {
  return (db.prepare("SELECT tag FROM run_tag WHERE run_id = ? ORDER BY tag").all(runId) as { tag: string }[]).map(
    (r) => r.tag,
  );
}
