import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freshPgStore } from "./pg";

/**
 * The two tracking stores, for suites that run the same cases against both: a store is where a
 * DBTracker writes (`tracker`: its env.yaml entry) and what readers open (`target`: the SQLite
 * file or the PostgreSQL URL).
 */
export interface StoreUnderTest {
  backend: "sqlite" | "postgresql";
  /** The DBTracker's env.yaml entry writing into this store. */
  tracker: Record<string, unknown>;
  /** What ResultsStore / `expman --db` open. */
  target: string;
  /** The workspace the experiment runs in. */
  ws: string;
  dispose(): void;
}

export const BACKENDS = ["sqlite", "postgresql"] as const;

export function makeStore(backend: "sqlite" | "postgresql", label = "suite"): StoreUnderTest {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), `store-${backend}-`));
  if (backend === "sqlite") {
    return {
      backend,
      tracker: { type: "DBTracker", name: "exp.db" },
      target: path.join(ws, "artifacts", "exp.db"),
      ws,
      dispose: () => fs.rmSync(ws, { recursive: true, force: true }),
    };
  }
  const pg = freshPgStore(label);
  return {
    backend,
    tracker: { type: "DBTracker", url: pg.url },
    target: pg.url,
    ws,
    dispose: () => {
      pg.drop();
      fs.rmSync(ws, { recursive: true, force: true });
    },
  };
}
