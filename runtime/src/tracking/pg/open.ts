import { READ_TABLES } from "../db/connection";
import { TrackingDbError } from "../db/errors";
import { SCHEMA_VERSION } from "../db/schema";
import { maskUrl } from "../db/sql";
import { PgDb, PgError } from "./pg-db";
import { migratePg, pgSchemaVersion } from "./schema";

/**
 * Opening a PostgreSQL tracking store. Every failure names the URL (password masked) and says
 * what to do; nothing is written before the connection, the login and the schema check pass.
 */

export function openPgForWriting(url: string, options: { recreate?: boolean } = {}): PgDb {
  const shown = maskUrl(url);
  const db = connect(url, "write");
  try {
    if (options.recreate) {
      throw new TrackingDbError(
        "DB_IN_USE",
        shown,
        `Refusing 'recreate: true' for the PostgreSQL store ${shown}: it is shared (other writers and experiments may be in it). Remove that option; to start afresh, use another database.`,
      );
    }
    refuseNewer(db, shown);
    migratePg(db);
    return db;
  } catch (error) {
    db.close();
    throw describe(shown, error, "write");
  }
}

export function openPgForReading(url: string): PgDb {
  const shown = maskUrl(url);
  const db = connect(url, "read");
  try {
    const version = refuseNewer(db, shown);
    if (version === 0) {
      throw new TrackingDbError(
        "DB_UNREADABLE",
        shown,
        `The PostgreSQL database ${shown} has no expman tracking schema yet: nothing has been tracked in it. Run an experiment with a DBTracker whose url is this database first.`,
      );
    }
    const present = new Set(
      (
        db.query(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ).rows as { name: string }[]
      ).map((r) => r.name),
    );
    const missing = READ_TABLES.filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new TrackingDbError(
        "DB_UNREADABLE",
        shown,
        `${shown} is not a valid expman tracking store: table(s) ${missing.join(", ")} missing. Nothing was read from it.`,
      );
    }
    return db;
  } catch (error) {
    db.close();
    throw describe(shown, error, "read");
  }
}

function connect(url: string, mode: "read" | "write"): PgDb {
  const db = new PgDb(url);
  try {
    db.query("SELECT 1");
  } catch (error) {
    db.close();
    throw describe(maskUrl(url), error, mode);
  }
  return db;
}

function refuseNewer(db: PgDb, shown: string): number {
  const version = pgSchemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new TrackingDbError(
      "DB_NEWER",
      shown,
      `${shown} has tracking schema version ${version}, newer than this expman understands (${SCHEMA_VERSION}). Update expman.`,
    );
  }
  return version;
}

/** A connection or login failure in words: which URL, what went wrong, what to do. */
export function describe(shown: string, error: unknown, mode: "read" | "write"): Error {
  if (error instanceof TrackingDbError) return error;
  const code = (error as PgError).code ?? "";
  const message = (error as Error).message ?? String(error);
  const verb = mode === "write" ? "write to" : "read";
  if (code === "28P01" || code === "28000") {
    return new TrackingDbError(
      "DB_UNREADABLE",
      shown,
      `Cannot ${verb} the PostgreSQL tracking store ${shown}: the server refused the login (${message}). Check the user name and password in the URL (or EXPMAN_DB_URL) and that pg_hba.conf lets this host connect.`,
      { cause: error },
    );
  }
  if (code === "3D000") {
    return new TrackingDbError(
      "DB_NOT_FOUND",
      shown,
      `Cannot ${verb} the PostgreSQL tracking store ${shown}: ${message}. Create it (createdb) or fix the database name in the URL.`,
      { cause: error },
    );
  }
  if (code === "42501") {
    return new TrackingDbError(
      "DB_UNWRITABLE",
      shown,
      `Cannot ${verb} the PostgreSQL tracking store ${shown}: permission denied (${message}). Grant this user CREATE and USAGE on the schema, or use a database it owns.`,
      { cause: error },
    );
  }
  if ((error as PgError).unavailable) {
    return new TrackingDbError(
      "DB_NOT_FOUND",
      shown,
      `Cannot reach the PostgreSQL tracking store ${shown}: ${message}. Check that the server runs and listens on that host and port (pg_lsclusters; listen_addresses), and that the URL is right.`,
      { cause: error },
    );
  }
  return new TrackingDbError(
    "DB_UNREADABLE",
    shown,
    `Cannot ${verb} the PostgreSQL tracking store ${shown}: ${message}`,
    {
      cause: error,
    },
  );
}
