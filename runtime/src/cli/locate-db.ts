import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { DEFAULT_DB_NAME } from "../builtins/catalog";
import { isPlainObject } from "../config/merge";
import { resolveWorkspace } from "../env/environment";
import { isPostgresUrl } from "../tracking/db/sql";

/**
 * Finds the tracking database a read command means: `--db FILE` or `--db postgresql://...`, or
 * the DBTracker store of a config folder (`--config DIR`: its `url`, else its file), or
 * EXPMAN_DB_URL when none of these is given, or the `*.db` files under
 * `<workspace>/artifacts/` (the workspace defaults to the current folder; one level of
 * sub-workspaces is searched too).
 */
export function locateDatabases(options: { db?: string; workspace?: string; config?: string }): string[] {
  if (options.db && isPostgresUrl(options.db)) return [options.db];
  if (options.db) {
    const file = path.resolve(options.db);
    if (!fs.existsSync(file)) throw new Error(`No database at ${file}.`);
    return [file];
  }
  if (options.config) {
    const dir = path.resolve(options.config);
    const envFile = path.join(dir, "env.yaml");
    let env: Record<string, unknown>;
    try {
      const read: unknown = parse(fs.readFileSync(envFile, "utf8"));
      env = isPlainObject(read) ? read : {};
    } catch (error) {
      throw new Error(`Cannot read ${envFile}: ${(error as Error).message}`, { cause: error });
    }
    const tracker = (Array.isArray(env.trackers) ? env.trackers : []).find(
      (t: Record<string, unknown>) => t?.type === "DBTracker",
    );
    if (!tracker) throw new Error(`${envFile} configures no DBTracker: there is no database to read.`);
    const url = typeof tracker.url === "string" && tracker.url !== "" ? tracker.url : process.env.EXPMAN_DB_URL;
    if (url && isPostgresUrl(url)) return [url];
    const name = typeof tracker.name === "string" && tracker.name !== "" ? tracker.name : DEFAULT_DB_NAME;
    const file = path.join(resolveWorkspace(env.workspace, dir), "artifacts", name);
    if (!fs.existsSync(file))
      throw new Error(`No database yet at ${file}: run the experiment first (expman run ${options.config}).`);
    return [file];
  }
  const envUrl = process.env.EXPMAN_DB_URL;
  if (!options.workspace && envUrl && isPostgresUrl(envUrl)) return [envUrl];
  const ws = path.resolve(options.workspace ?? ".");
  const found = [...dbFilesIn(path.join(ws, "artifacts"))];
  if (found.length === 0) {
    for (const sub of safeReaddir(ws)) found.push(...dbFilesIn(path.join(ws, sub, "artifacts")));
  }
  if (found.length === 0) {
    throw new Error(
      `No tracking database under ${ws}. Give --db FILE, --workspace DIR (the experiment's workspace) or --config DIR (its config folder).`,
    );
  }
  return found;
}

function dbFilesIn(dir: string): string[] {
  return safeReaddir(dir)
    .filter((f) => /\.(db|sqlite3?)$/.test(f))
    .map((f) => path.join(dir, f));
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
