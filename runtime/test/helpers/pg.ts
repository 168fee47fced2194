import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PgDb } from "../../src/tracking/pg/pg-db";

/**
 * The real PostgreSQL server for the store tests. Found at EXPMAN_TEST_PG_URL (default: what
 * test/services/postgres.sh sets up); when it does not answer, that script is run (it installs
 * and starts PostgreSQL idempotently), so `npm test` in a fresh worktree works. If the server
 * still cannot be reached the tests FAIL with the reason: never skipped.
 *
 * Each test gets its own schema (`search_path` in the URL), so test files and the other
 * worktrees' test runs share one server without seeing each other's rows.
 */

const SCRIPT = path.resolve(__dirname, "../../../test/services/postgres.sh");
let serverUrl: string | undefined;

function answers(url: string): string | undefined {
  const db = new PgDb(url, { connectTimeoutMs: 3000 });
  try {
    db.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    db.close();
  }
}

export function pgServerUrl(): string {
  if (serverUrl) return serverUrl;
  let url = process.env.EXPMAN_TEST_PG_URL ?? "postgresql://expman_test:expman_test@127.0.0.1:5432/expman_test";
  let why = answers(url);
  if (why !== undefined) {
    const started = spawnSync("bash", [SCRIPT], { encoding: "utf8", timeout: 300_000 });
    const printed = started.stdout.trim().split("\n").pop() ?? "";
    if (started.status === 0 && printed.startsWith("postgresql://")) {
      url = printed;
      why = answers(url);
    } else {
      why = `${why}; ${SCRIPT} exited ${started.status}: ${started.stderr.trim().slice(-800)}`;
    }
  }
  if (why !== undefined) {
    throw new Error(
      `The PostgreSQL store tests need a PostgreSQL server and could not get one at ${url}: ${why}. Run 'bash test/services/postgres.sh' (as root: it installs and starts PostgreSQL) or set EXPMAN_TEST_PG_URL.`,
    );
  }
  serverUrl = url;
  return url;
}

/** A fresh, empty schema on the test server: its URL, and a function that drops it. */
export function freshPgStore(label = "t"): { url: string; drop: () => void } {
  const base = pgServerUrl();
  const schema = `${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`.toLowerCase();
  const admin = new PgDb(base);
  try {
    admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    admin.close();
  }
  const u = new URL(base);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    drop: () => {
      const db = new PgDb(base);
      try {
        // A process that just ended (a killed Slurm task, a reader) may still hold locks for a
        // moment: the server then picks the DROP as a deadlock's victim. Try again.
        for (let attempt = 1; ; attempt++) {
          try {
            db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== "40P01" || attempt >= 5) throw error;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200 * attempt);
          }
        }
      } finally {
        db.close();
      }
    },
  };
}
