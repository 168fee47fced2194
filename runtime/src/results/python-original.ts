import * as fs from "node:fs";
import * as path from "node:path";
import type { Database, Statement } from "better-sqlite3";
import { TrackingDbError } from "../tracking/db/errors";
import type {
  ArtifactRecord,
  RunConfig,
  CheckpointRecord,
  EpochSummary,
  ExperimentSummary,
  RunSummary,
  Series,
  SeriesKey,
  SeriesQuery,
  TrialSummary,
} from "./contract";
import { nonFiniteName, type NonFiniteName } from "../common/non-finite";
import type { Scope } from "../common/vocabulary";
import { BucketReducer } from "./downsample";
import { ResultsNotFoundError, type TextPoint } from "./store";

/**
 * What the Python original's DBTracker never stores. Readers show it as "not recorded" instead
 * of inventing values: status (always 'started' there), the repeat index (runs are numbered by
 * creation order within their trial, as their folders are), end times, steps (epoch index and
 * batch order stand in), seeds, errors and params (its params.json artifact is not linked).
 */
export const PYTHON_NOT_RECORDED = ["status", "repeat", "end time", "step", "seed", "error", "params"] as const;

/** Whether an open connection holds the Python original's schema (EXPERIMENT, TRIAL_RUN, METRIC...). */
export function isPythonOriginalDb(db: Database): boolean {
  const names = new Set(
    (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name),
  );
  return ["EXPERIMENT", "TRIAL", "TRIAL_RUN", "EPOCH", "METRIC", "RESULTS_METRIC", "EPOCH_METRIC"].every((t) =>
    names.has(t),
  );
}

interface Point {
  key: string;
  /** The metric's own name (METRIC.type): `key` is `<metric>/<label>` for a per-label point. */
  metric: string;
  label: string | null;
  scope: Scope;
  step: number | null;
  value: number;
  time: number;
  epoch: number | null;
}

interface RunPoints {
  /** `max(METRIC.id)` and row counts when read: a running original adds rows, we re-read. */
  stamp: string;
  byKey: Map<string, Point[]>;
  texts: TextPoint[];
}

/**
 * Reads a database written by the Python original's DBTracker, read-only: the file is opened
 * with SQLITE_OPEN_READONLY (no journal-mode switch, no -wal/-shm files, nothing written), and
 * answers the same questions as ResultsStore, so `expman ls/show/export/serve`, the tree and
 * the panel show its experiments.
 *
 * Mapping: RESULTS metrics are run-scope (final) values; EPOCH metrics of an existing epoch
 * are epoch-scope (step = epoch index); BATCH metrics of an existing batch are batch-scope
 * (step = the batch's position in the run). The original files epoch metrics tracked after
 * batches under a batch that does not exist, and metrics tracked after the last epoch under an
 * epoch that does not exist: the first read as epoch metrics of their epoch, the second as run
 * metrics. A `per_label_val` JSON object becomes one series per label, `<metric>/<label>`.
 */
export class PythonOriginalStore {
  readonly file: string;
  readonly origin = "python-original" as const;
  private readonly statements = new Map<string, Statement>();
  private readonly cache = new Map<number, RunPoints>();
  private readonly rootWorkspace: string | null;

  constructor(
    private readonly db: Database,
    file: string,
  ) {
    this.file = path.resolve(file);
    // The original's convention: <workspace>/artifacts/<name>.
    const dir = path.dirname(this.file);
    this.rootWorkspace = path.basename(dir) === "artifacts" ? path.dirname(dir) : null;
  }

  get schemaVersion(): number {
    return 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  listExperiments(): ExperimentSummary[] {
    return this.read(() =>
      (
        this.stmt(
          `SELECT e.id, e.title, e."desc" AS description, e.start_time,
                (SELECT count(*) FROM TRIAL t WHERE t.experiment_id = e.id) AS trial_count,
                (SELECT count(*) FROM TRIAL_RUN r JOIN TRIAL t ON t.id = r.trial_id WHERE t.experiment_id = e.id) AS run_count
         FROM EXPERIMENT e ORDER BY e.id`,
        ).all() as {
          id: number;
          title: string;
          description: string | null;
          start_time: string | null;
          trial_count: number;
          run_count: number;
        }[]
      ).map((e) => ({
        id: e.id,
        uid: `python-original:${this.file}:experiment:${e.id}`,
        title: e.title,
        desc: e.description ?? "",
        startTime: time(e.start_time),
        endTime: null,
        status: "FINISHED",
        trialCount: e.trial_count,
        runCount: e.run_count,
        configDir: null,
        workspace: this.rootWorkspace,
        origin: this.origin,
        notRecorded: [...PYTHON_NOT_RECORDED],
      })),
    );
  }

  listTrials(experimentId: number): TrialSummary[] {
    return this.read(() =>
      (
        this.stmt(
          `SELECT t.id, t.name, t.experiment_id, t.start_time, (SELECT count(*) FROM TRIAL_RUN r WHERE r.trial_id = t.id) AS run_count
         FROM TRIAL t WHERE t.experiment_id = ? ORDER BY t.id`,
        ).all(experimentId) as {
          id: number;
          name: string;
          experiment_id: number;
          start_time: string | null;
          run_count: number;
        }[]
      ).map((t) => ({
        id: t.id,
        uid: `python-original:${this.file}:trial:${t.id}`,
        experimentId: t.experiment_id,
        name: t.name,
        startTime: time(t.start_time),
        endTime: null,
        runCount: t.run_count,
        workspace: this.rootWorkspace ? path.join(this.rootWorkspace, t.name) : null,
      })),
    );
  }

  listRuns(filter: { experimentId?: number; trialId?: number } = {}): RunSummary[] {
    return this.read(() => this.runs(filter.experimentId ?? null, filter.trialId ?? null, null));
  }

  /** The original stores no config with its experiments. */
  runConfig(_runId: number): RunConfig | null {
    return null;
  }

  getRun(runId: number): RunSummary | null {
    return this.read(() => this.runs(null, null, runId)[0] ?? null);
  }

  private runs(experimentId: number | null, trialId: number | null, runId: number | null): RunSummary[] {
    const rows = this.stmt(
      `SELECT r.id, r.trial_id, t.experiment_id, t.name AS trial_name, e.title, r.start_time,
              (SELECT count(*) FROM EPOCH p WHERE p.trial_run_id = r.id) AS epoch_count,
              (SELECT count(*) FROM TRIAL_RUN r2 WHERE r2.trial_id = r.trial_id AND r2.id < r.id) AS ordinal
       FROM TRIAL_RUN r JOIN TRIAL t ON t.id = r.trial_id JOIN EXPERIMENT e ON e.id = t.experiment_id
       WHERE (:e IS NULL OR t.experiment_id = :e) AND (:t IS NULL OR r.trial_id = :t) AND (:r IS NULL OR r.id = :r)
       ORDER BY r.id`,
    ).all({ e: experimentId, t: trialId, r: runId }) as {
      id: number;
      trial_id: number;
      experiment_id: number;
      trial_name: string;
      title: string;
      start_time: string | null;
      epoch_count: number;
      ordinal: number;
    }[];
    return rows.map((r) => {
      const finals: Record<string, number> = {};
      const rank: Record<string, number> = {};
      for (const points of totalsLast(this.points(r.id).byKey)) {
        const last = points[points.length - 1];
        const key = last.key;
        const k = SCOPE_RANK[last.scope];
        if (rank[key] === undefined || k <= rank[key]) {
          rank[key] = k;
          finals[key] = last.value;
        }
      }
      return {
        id: r.id,
        uid: `python-original:${this.file}:run:${r.id}`,
        trialId: r.trial_id,
        experimentId: r.experiment_id,
        trialName: r.trial_name,
        experimentTitle: r.title,
        repeat: r.ordinal,
        seed: null,
        status: "FINISHED",
        startTime: time(r.start_time),
        endTime: null,
        epochCount: r.epoch_count,
        params: {},
        finalMetrics: finals,
        error: null,
        workspace: this.rootWorkspace
          ? path.join(this.rootWorkspace, r.trial_name, `${r.trial_name}-${r.ordinal}`)
          : null,
        origin: this.origin,
        notRecorded: [...PYTHON_NOT_RECORDED],
      };
    });
  }

  listEpochs(runId: number): EpochSummary[] {
    return this.read(() => {
      const batches = new Map<number, number>();
      for (const b of this.stmt(
        "SELECT epoch_idx, count(*) AS n FROM BATCH WHERE trial_run_id = ? GROUP BY epoch_idx",
      ).all(runId) as { epoch_idx: number; n: number }[]) {
        batches.set(b.epoch_idx, b.n);
      }
      const metrics = new Map<number, Record<string, number>>();
      for (const points of totalsLast(this.points(runId).byKey)) {
        for (const p of points) {
          if (p.scope !== "epoch" || p.epoch === null) continue;
          let m = metrics.get(p.epoch);
          if (!m) metrics.set(p.epoch, (m = {}));
          m[p.key] = p.value;
        }
      }
      return (
        this.stmt("SELECT idx, time FROM EPOCH WHERE trial_run_id = ? ORDER BY idx").all(runId) as {
          idx: number;
          time: string;
        }[]
      ).map((e) => ({
        runId,
        idx: e.idx,
        startTime: time(e.time),
        endTime: null,
        status: "FINISHED",
        batchCount: batches.get(e.idx) ?? 0,
        metrics: metrics.get(e.idx) ?? {},
      }));
    });
  }

  seriesKeys(runId: number): SeriesKey[] {
    return this.read(() => {
      const out: SeriesKey[] = [];
      for (const points of this.points(runId).byKey.values()) {
        const steps = points.map((p, i) => p.step ?? i);
        const first = points[0];
        const key: SeriesKey = {
          key: first.key,
          scope: first.scope,
          count: points.length,
          minStep: Math.min(...steps),
          maxStep: Math.max(...steps),
          custom: false,
        };
        if (first.label !== null) {
          key.metric = first.metric;
          key.label = first.label;
        }
        out.push(key);
      }
      return out.sort((a, b) =>
        a.key < b.key
          ? -1
          : a.key > b.key
            ? 1
            : SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope] ||
              Number(a.label !== undefined) - Number(b.label !== undefined),
      );
    });
  }

  getSeries(query: SeriesQuery): Series {
    return this.read(() => {
      const byKey = this.points(query.runId).byKey;
      const candidates = [...byKey.values()].filter(
        (p) =>
          p[0].key === query.key &&
          (query.scope === undefined || p[0].scope === query.scope) &&
          (query.label === undefined || p[0].label === query.label),
      );
      // The unlabelled series first (a total wins over a label series of its joined name), then the fullest scope.
      candidates.sort((a, b) => Number(a[0].label !== null) - Number(b[0].label !== null) || b.length - a.length);
      const points = candidates[0];
      if (!points) {
        if (!this.stmt("SELECT id FROM TRIAL_RUN WHERE id = ?").get(query.runId))
          throw new ResultsNotFoundError(`Run ${query.runId} does not exist in ${this.file}.`);
        const keys = [...new Set([...byKey.values()].map((p) => p[0].key))].sort();
        throw new ResultsNotFoundError(
          `Run ${query.runId} has no series '${query.key}'${query.label !== undefined ? ` with label '${query.label}'` : ""}${query.scope ? ` at ${query.scope} scope` : ""} in ${this.file}. Its keys: ${keys.join(", ") || "(none)"}.`,
        );
      }
      const lo = Math.max(query.minStep ?? -Infinity, query.afterStep ?? -Infinity);
      const hi = query.maxStep ?? Infinity;
      const strict = query.afterStep !== undefined && lo === query.afterStep;
      const S: number[] = [];
      const V: number[] = [];
      const T: number[] = [];
      points.forEach((p, i) => {
        const s = p.step ?? i;
        if (strict ? !(s > lo) : !(s >= lo)) return;
        if (!(s <= hi)) return;
        S.push(s);
        V.push(p.value);
        T.push(p.time);
      });
      let steps = S;
      let values = V;
      let times = T;
      const wanted = query.buckets !== undefined && query.buckets > 0 ? Math.floor(query.buckets) : 0;
      if (wanted > 0 && S.length > wanted) {
        const reducer = new BucketReducer(wanted, Math.min(...S), Math.max(...S));
        reducer.addColumns(Float64Array.from(S), Float64Array.from(V), Float64Array.from(T), S.length, 0);
        const r = reducer.result();
        steps = Array.from(r.steps.subarray(0, r.length));
        values = Array.from(r.values.subarray(0, r.length));
        times = Array.from(r.times.subarray(0, r.length));
      }
      const nonFinite: Record<number, NonFiniteName> = {};
      let hasNonFinite = false;
      const out: (number | null)[] = values.map((v, i) => {
        if (Number.isFinite(v)) return v;
        nonFinite[i] = nonFiniteName(v);
        hasNonFinite = true;
        return null;
      });
      const series: Series = {
        runId: query.runId,
        key: points[0].key,
        scope: points[0].scope,
        steps,
        values: out,
        times,
        totalPoints: S.length,
        downsampled: steps.length < S.length,
      };
      if (hasNonFinite) series.nonFinite = nonFinite;
      if (points[0].label !== null) {
        series.metric = points[0].metric;
        series.label = points[0].label;
      }
      return series;
    });
  }

  /** Values that are not numbers (SQLite accepts strings in the original's FLOAT column). */
  textValues(runId: number, key?: string): TextPoint[] {
    return this.read(() => this.points(runId).texts.filter((t) => key === undefined || t.key === key));
  }

  /** The original has no checkpoint table: its CheckpointCallback files them as artifacts named checkpoint-<k> / checkpoint-final. */
  listCheckpoints(runId: number): CheckpointRecord[] {
    return this.listArtifacts(runId)
      .filter((a) => /^checkpoint-(\d+|final)$/.test(path.basename(a.path)))
      .map((a) => ({
        id: a.id,
        runId,
        epoch: a.epoch,
        path: a.path,
        final: path.basename(a.path) === "checkpoint-final",
        time: a.time,
        metrics: {},
        exists: fs.existsSync(a.path),
      }));
  }

  listArtifacts(runId: number): ArtifactRecord[] {
    return this.read(() =>
      this.artifacts(
        `SELECT a.id, a.type, a.loc, 'trial_run' AS level, x.trial_run_id AS owner, NULL AS epoch FROM TRIAL_RUN_ARTIFACT x JOIN ARTIFACT a ON a.id = x.artifact_id WHERE x.trial_run_id = :id
         UNION ALL
         SELECT a.id, a.type, a.loc, 'epoch', x.epoch_trial_run_id, x.epoch_idx FROM EPOCH_ARTIFACT x JOIN ARTIFACT a ON a.id = x.artifact_id WHERE x.epoch_trial_run_id = :id
         UNION ALL
         SELECT a.id, a.type, a.loc, 'batch', x.trial_run_id, x.epoch_idx FROM BATCH_ARTIFACT x JOIN ARTIFACT a ON a.id = x.artifact_id WHERE x.trial_run_id = :id
         ORDER BY 1`,
        runId,
      ),
    );
  }

  listExperimentArtifacts(experimentId: number): ArtifactRecord[] {
    return this.read(() =>
      this.artifacts(
        `SELECT a.id, a.type, a.loc, 'experiment' AS level, x.experiment_id AS owner, NULL AS epoch FROM EXPERIMENT_ARTIFACT x JOIN ARTIFACT a ON a.id = x.artifact_id WHERE x.experiment_id = :id ORDER BY a.id`,
        experimentId,
      ),
    );
  }

  listTrialArtifacts(trialId: number): ArtifactRecord[] {
    return this.read(() =>
      this.artifacts(
        `SELECT a.id, a.type, a.loc, 'trial' AS level, x.trial_id AS owner, NULL AS epoch FROM TRIAL_ARTIFACT x JOIN ARTIFACT a ON a.id = x.artifact_id WHERE x.trial_id = :id ORDER BY a.id`,
        trialId,
      ),
    );
  }

  private artifacts(sql: string, id: number): ArtifactRecord[] {
    return (
      this.stmt(sql).all({ id }) as {
        id: number;
        type: string;
        loc: string;
        level: ArtifactRecord["level"];
        owner: number;
        epoch: number | null;
      }[]
    ).map((a) => ({
      id: a.id,
      level: a.level,
      ownerId: a.owner,
      epoch: a.epoch,
      type: a.type,
      path: a.loc,
      // The original records no artifact time.
      time: 0,
    }));
  }

  // ---- points ------------------------------------------------------------------------------

  /** Every metric value of a run as points, cached until the file gains rows. */
  private points(runId: number): RunPoints {
    const stampRow = this.stmt(
      "SELECT (SELECT max(id) FROM METRIC) AS m, (SELECT count(*) FROM EPOCH WHERE trial_run_id = :r) AS e, (SELECT count(*) FROM BATCH WHERE trial_run_id = :r) AS b",
    ).get({ r: runId }) as { m: number | null; e: number; b: number };
    const stamp = `${stampRow.m}:${stampRow.e}:${stampRow.b}`;
    const cached = this.cache.get(runId);
    if (cached && cached.stamp === stamp) return cached;

    const byKey = new Map<string, Point[]>();
    const texts: TextPoint[] = [];
    const add = (
      type: string,
      total: unknown,
      perLabel: string | null,
      scope: Scope,
      step: number | null,
      t: number,
      epoch: number | null,
      batch: number | null,
    ) => {
      const push = (key: string, label: string | null, value: unknown) => {
        if (typeof value !== "number") {
          texts.push({ key, scope, step, epoch, batch, time: t, value });
          return;
        }
        // The label is part of the identity: a metric named `acc/cat` and label `cat` of `acc`
        // are both `acc/cat`, and stay two series.
        const id = `${key}\u0000${scope}\u0000${label ?? ""}`;
        let list = byKey.get(id);
        if (!list) byKey.set(id, (list = []));
        list.push({ key, metric: type, label, scope, step, value, time: t, epoch });
      };
      push(type, null, total);
      const labels = parseLabels(perLabel);
      if (labels)
        for (const [label, v] of Object.entries(labels))
          push(`${type}/${label}`, label, typeof v === "boolean" ? Number(v) : v);
    };

    const results = this.stmt(
      `SELECT m.type, m.total_val, m.per_label_val, r.time FROM RESULTS_METRIC rm JOIN METRIC m ON m.id = rm.metric_id
       LEFT JOIN RESULTS r ON r.trial_run_id = rm.results_id WHERE rm.results_id = ? ORDER BY m.id`,
    ).all(runId) as { type: string; total_val: unknown; per_label_val: string | null; time: string | null }[];
    const epochs = this.stmt(
      `SELECT em.epoch_idx, m.type, m.total_val, m.per_label_val, p.time, p.idx IS NOT NULL AS known FROM EPOCH_METRIC em
       JOIN METRIC m ON m.id = em.metric_id LEFT JOIN EPOCH p ON p.idx = em.epoch_idx AND p.trial_run_id = em.epoch_trial_run_id
       WHERE em.epoch_trial_run_id = ? ORDER BY em.epoch_idx, m.id`,
    ).all(runId) as {
      epoch_idx: number;
      type: string;
      total_val: unknown;
      per_label_val: string | null;
      time: string | null;
      known: number;
    }[];
    const batchOrder = new Map<string, number>();
    (
      this.stmt("SELECT epoch_idx, idx FROM BATCH WHERE trial_run_id = ? ORDER BY epoch_idx, idx").all(runId) as {
        epoch_idx: number;
        idx: number;
      }[]
    ).forEach((b, i) => batchOrder.set(`${b.epoch_idx}:${b.idx}`, i));
    const batches = this.stmt(
      `SELECT bm.epoch_idx, bm.batch_idx, m.type, m.total_val, m.per_label_val, b.time AS btime, p.time AS etime FROM BATCH_METRIC bm
       JOIN METRIC m ON m.id = bm.metric_id
       LEFT JOIN BATCH b ON b.idx = bm.batch_idx AND b.epoch_idx = bm.epoch_idx AND b.trial_run_id = bm.trial_run_id
       LEFT JOIN EPOCH p ON p.idx = bm.epoch_idx AND p.trial_run_id = bm.trial_run_id
       WHERE bm.trial_run_id = ? ORDER BY bm.epoch_idx, bm.batch_idx, m.id`,
    ).all(runId) as {
      epoch_idx: number;
      batch_idx: number;
      type: string;
      total_val: unknown;
      per_label_val: string | null;
      btime: string | null;
      etime: string | null;
    }[];

    let lastTime = 0;
    for (const b of batches) {
      const order = batchOrder.get(`${b.epoch_idx}:${b.batch_idx}`);
      if (order !== undefined) {
        lastTime = time(b.btime);
        add(b.type, b.total_val, b.per_label_val, "batch", order, lastTime, b.epoch_idx, b.batch_idx);
      } else {
        // The original's phantom batch: epoch metrics tracked after the epoch's batches.
        add(b.type, b.total_val, b.per_label_val, "epoch", b.epoch_idx, time(b.etime) || lastTime, b.epoch_idx, null);
      }
    }
    for (const e of epochs) {
      if (e.known) {
        lastTime = Math.max(lastTime, time(e.time));
        add(e.type, e.total_val, e.per_label_val, "epoch", e.epoch_idx, time(e.time), e.epoch_idx, null);
      } else {
        // The original's phantom epoch: metrics tracked after the last epoch ended (test metrics).
        add(e.type, e.total_val, e.per_label_val, "run", null, lastTime, null, null);
      }
    }
    for (const r of results)
      add(r.type, r.total_val, r.per_label_val, "run", null, time(r.time) || lastTime, null, null);
    for (const list of byKey.values()) if (list[0].scope !== "run") list.sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
    const made = { stamp, byKey, texts };
    this.cache.set(runId, made);
    return made;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private read<T>(fn: () => T): T {
    if (!this.db.open) throw new TrackingDbError("DB_UNREADABLE", this.file, `Database ${this.file} was closed.`);
    try {
      // One read transaction: a consistent snapshot while the original's process writes.
      return this.db.transaction(fn).deferred();
    } catch (error) {
      if (error instanceof ResultsNotFoundError || error instanceof TrackingDbError) throw error;
      const code = (error as { code?: string }).code ?? "";
      if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
        throw new TrackingDbError(
          "DB_LOCKED",
          this.file,
          `Database ${this.file} is locked by the process writing it (${(error as Error).message}); try again.`,
          { cause: error },
        );
      }
      throw new TrackingDbError(
        "DB_UNREADABLE",
        this.file,
        `Cannot read the Python original's database ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

const SCOPE_RANK: Record<Scope, number> = { run: 0, epoch: 1, batch: 2 };

/** The original's timestamps: `datetime.now().isoformat()`, local time without a zone. */
function time(iso: string | null | undefined): number {
  if (!iso) return 0;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

function parseLabels(json: string | null): Record<string, unknown> | undefined {
  if (json === null || json === undefined || json === "") return undefined;
  try {
    const v = JSON.parse(json);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A run's series with the per-label ones first, for summaries keyed by name alone (final and
 * epoch metrics): where a total and a label series share a joined name, the total, read last, wins.
 */
function totalsLast(byKey: Map<string, Point[]>): Point[][] {
  return [...byKey.values()].sort((a, b) => Number(a[0].label === null) - Number(b[0].label === null));
}
