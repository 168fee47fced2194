/**
 * The store's SQL is written once, for SQLite; this turns it into PostgreSQL's. Most of it is
 * portable already (ON CONFLICT upserts, coalesce, CASE, window functions); what differs is
 * rewritten here, in one place, and the shared store suite runs every statement on both.
 *
 * - `?` and `:name` placeholders become `$1..$n` (named ones get their order in `names`);
 * - `ifnull(` becomes `coalesce(`; `IS ?` becomes `IS NOT DISTINCT FROM ?`; `INSERT OR IGNORE` an `ON CONFLICT DO NOTHING`;
 * - `? IS NULL` (an optional filter, `(? IS NULL OR e.uid = ?)`) gets a type, `?::text IS NULL`:
 *   PostgreSQL cannot infer one for a parameter that is only tested for NULL and refuses the statement;
 * - a camelCase alias (`r.job_id AS jobId`) is quoted: PostgreSQL folds unquoted names to lower case;
 * - `INSERT OR REPLACE INTO param` the upsert on param's unique (owner, key) index;
 * - `json_each(?)` of an id list becomes `json_array_elements_text(?::json)` cast to bigint;
 * - an INSERT into a table with an `id` key returns it (better-sqlite3's lastInsertRowid);
 * - the column `desc` (reserved in PostgreSQL) is quoted.
 */

/** Tables whose rows have an `id` key that INSERTs return. */
const ID_TABLES = new Set([
  "experiment",
  "trial",
  "trial_run",
  "series",
  "chunk",
  "metric_text",
  "param",
  "checkpoint",
  "artifact",
]);

export interface TranslatedSql {
  text: string;
  /** For `:name` placeholders: the name of each `$i`, in order; undefined for positional `?`. */
  names?: string[];
  /** Whether the statement returns the inserted row's id. */
  returnsId: boolean;
}

export function toPostgres(sql: string): TranslatedSql {
  let text = sql;
  text = text.replace(/\bifnull\(/gi, "coalesce(");
  // SQLite's `x IS ?` (equal, or both NULL) is PostgreSQL's IS NOT DISTINCT FROM.
  text = text.replace(/\bIS \?/g, "IS NOT DISTINCT FROM ?");
  // Parameters go as text, so any value (a uid, a number) tests for NULL the same way cast to text.
  text = text.replace(/\?(\s+IS\s+(?:NOT\s+)?NULL)\b/gi, "?::text$1");
  text = text.replace(/\bAS ([a-z][a-z0-9]*[A-Z]\w*)\b/g, 'AS "$1"');
  text = text.replace(
    /\(SELECT value FROM json_each\(\?\)\)/gi,
    "(SELECT value::bigint FROM json_array_elements_text(?::json))",
  );
  text = text.replace(/(\b(?:e|experiment)\.|[(,\s])desc\b(?=\s*[,)=\s])/g, (_m, before: string) => `${before}"desc"`);
  let insertOr: "ignore" | "replace" | undefined;
  text = text.replace(/^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO/i, (_m, how: string) => {
    insertOr = how.toLowerCase() as "ignore" | "replace";
    return "INSERT INTO";
  });
  if (insertOr === "ignore") text += " ON CONFLICT DO NOTHING";
  if (insertOr === "replace") {
    if (!/^\s*INSERT INTO param\b/i.test(text))
      throw new Error(`INSERT OR REPLACE has no PostgreSQL form for this statement: ${sql}`);
    text +=
      " ON CONFLICT (experiment_id, coalesce(trial_id, 0), coalesce(run_id, 0), key) DO UPDATE SET value = excluded.value";
  }
  const insert = /^\s*INSERT\s+INTO\s+(\w+)/i.exec(text);
  const returnsId = insert !== null && ID_TABLES.has(insert[1].toLowerCase()) && !/\bRETURNING\b/i.test(text);
  if (returnsId) text += " RETURNING id";

  // Placeholders last, outside string literals.
  let n = 0;
  const names: string[] = [];
  const byName = new Map<string, number>();
  text = text.replace(/'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)/g, (m, name: string | undefined) => {
    if (m.startsWith("'")) return m;
    if (name === undefined) return `$${++n}`;
    let i = byName.get(name);
    if (i === undefined) {
      names.push(name);
      i = names.length;
      byName.set(name, i);
    }
    return `$${i}`;
  });
  return { text, names: names.length > 0 ? names : undefined, returnsId };
}
