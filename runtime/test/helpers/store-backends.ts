import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ResultsStore } from "../../src/results/store";
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

/** Row ids: they differ between stores by design. */
const ROW_IDS = ["id", "runId", "trialId", "experimentId", "ownerId"];

/**
 * Everything a reader sees of a store (experiments, trials, runs, epochs, every series whole,
 * text values, checkpoints, artifacts), without row ids and the `ignore`d fields, with the
 * workspace folder `ws` replaced by `<ws>` in strings: two stores holding the same data give
 * deep-equal snapshots.
 */
export function readerSnapshot(target: string, options: { ignore?: string[]; ws?: string } = {}): unknown {
  const drop = new Set([...ROW_IDS, ...(options.ignore ?? [])]);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !drop.has(k))
          .map(([k, x]) => [k, strip(x)]),
      );
    return typeof v === "string" && options.ws ? v.split(options.ws).join("<ws>") : v;
  };
  const store = ResultsStore.open(target);
  try {
    return store.listExperiments().map((e) => ({
      ...(strip(e) as object),
      trials: strip(store.listTrials(e.id)),
      artifacts: strip(store.listExperimentArtifacts(e.id)),
      // The tree's pages: trials in their order, and a page of runs (ids aside, the same runs).
      trialsPage: strip(store.trialsPage(e.id, 0, 1)),
      runsPage: store.listRuns({ experimentId: e.id, offset: 1, limit: 1 }).map((r) => [r.trialName, r.repeat]),
      runs: store.listRuns({ experimentId: e.id }).map((r) => ({
        ...(strip(r) as object),
        epochs: strip(store.listEpochs(r.id)),
        keys: strip(store.seriesKeys(r.id)),
        series: store
          .seriesKeys(r.id)
          .map((k) => strip(store.getSeries({ runId: r.id, key: k.key, scope: k.scope, label: k.label }))),
        text: strip(store.textValues(r.id)),
        checkpoints: strip(store.listCheckpoints(r.id)),
        artifacts: strip(store.listArtifacts(r.id)),
      })),
    }));
  } finally {
    store.close();
  }
}
