import * as fs from "node:fs";
import * as path from "node:path";
import type { SqlDb as Database, SqlStatement as Statement } from "../tracking/db/sql";
import { openStoreForReading, TrackingDbError } from "../tracking/db/connection";
import { isPostgresUrl, maskUrl } from "../tracking/db/sql";
import { ChunkScratch, decodeChunk } from "../tracking/db/chunk-codec";
import { CHUNK_POINTS, schemaVersionOf } from "../tracking/db/schema";
import type {
  TextPoint,
  ArtifactRecord,
  CheckpointRecord,
  EpochSummary,
  ExperimentSummary,
  RunSummary,
  Series,
  SeriesKey,
  SeriesQuery,
  TrialOrder,
  TrialPage,
  TrialSummary,
  RunConfig,
} from "./contract";
import { nonFiniteName, type NonFiniteName } from "../common/non-finite";
import type { RunStatusName, Scope } from "../common/vocabulary";
import { BucketReducer } from "./downsample";
import { configOfTrial } from "./run-config";
import { WriterLiveness, type WriterInfo } from "./stale";
import { copyIsStale } from "../tracking/db/read-copy";
import {
  DEFAULT_PAGE,
  pageOf,
  parseStoredConfig,
  sortTrials,
  trialOrder,
  type RankedTrial,
  type TrialStats,
} from "./trial-page";

export { TrackingDbError } from "../tracking/db/connection";
export { recoverStale } from "./stale";
export type { TextPoint } from "./contract";

/** A run, series or other entity asked for does not exist (the query service's NOT_FOUND). */
export class ResultsNotFoundError extends Error {
  readonly code = "NOT_FOUND";
  constructor(message: string) {
    super(message);
    this.name = "ResultsNotFoundError";
  }
}

// Rows as the queries below select them (SQLite and PostgreSQL columns alike).
interface ExperimentRow extends WriterInfo {
  id: number;
  uid: string;
  title: string;
  desc: string;
  start_time: number;
  end_time: number | null;
  config_dir: string | null;
  workspace: string | null;
  trial_count: number;
  run_count: number;
}
interface TrialRow {
  id: number;
  uid: string;
  experiment_id: number;
  name: string;
  start_time: number;
  end_time: number | null;
  workspace: string | null;
  run_count: number;
}
interface EpochRow {
  run_id: number;
  idx: number;
  start_time: number;
  end_time: number | null;
  status: string;
  batch_count: number;
}
interface CheckpointRow {
  id: number;
  run_id: number;
  epoch: number | null;
  path: string;
  final: number;
  time: number;
  metrics: string;
}
interface ArtifactRow {
  id: number;
  level: ArtifactRecord["level"];
  experiment_id: number;
  trial_id: number;
  run_id: number;
  epoch: number | null;
  type: string;
  path: string;
  time: number;
}

interface RunRow {
  id: number;
  uid: string;
  trial_id: number;
  experiment_id: number;
  trial_name: string;
  title: string;
  repeat: number;
  seed: number | null;
  status: string;
  start_time: number;
  end_time: number | null;
  error_message: string | null;
  error_stack: string | null;
  workspace: string | null;
  job_id: string | null;
  exp_status: string;
  pid: number | null;
  host: string | null;
  heartbeat: number | null;
  warning: string | null;
  epoch_count: number;
}

interface SeriesRow {
  id: number;
  key: string;
  scope: Scope;
  count: number;
  min_step: number | null;
  max_step: number | null;
  custom: number;
  /** The label of a per-label series (schema v3; NULL before and for every other series). */
  label: string | null;
}

const SCOPE_RANK: Record<Scope, number> = { run: 0, epoch: 1, batch: 2 };

/**
 * Read-only access to a tracking database: what the CLI (`ls`, `show`, `export`) prints and
 * what the query service (`expman serve`) answers, one method per `QueryMethods` entry of
 * ./contract.ts. It reads while a run writes (WAL): it sees everything flushed so far.
 * Statuses are as stored, except that a RUNNING entity whose writer process is gone (same
 * host) is reported ABORTED; `recoverStale(file)` writes that into the file.
 */
export class ResultsStore {
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  readonly file: string;
  /** What to open: the file, or the PostgreSQL URL itself. */
  private readonly target: string;
  private db: Database;
  /** The file's inode when opened: a run with `recreate: true` replaces the file. */
  private ino: number;
  private readonly statements = new Map<string, Statement>();
  private trialOrderCache:
    { experimentId: number; version: number; order: TrialOrder; sorted: RankedTrial[] } | undefined;

  /** `timeoutMs`: how long to wait for another process's lock (default 5 s). */
  constructor(
    file: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    const remote = isPostgresUrl(file);
    this.target = remote ? file : path.resolve(file);
    this.file = remote ? maskUrl(file) : this.target;
    this.db = openStoreForReading(this.target, options);
    // A PostgreSQL store is never replaced under a reader; -2 marks "no file to follow".
    this.ino = remote ? -2 : (inodeOf(this.file) ?? -1);
  }

  static open(file: string, options: { timeoutMs?: number } = {}): ResultsStore {
    return new ResultsStore(file, options);
  }

  /** The writer's heartbeat column (schema 6), or NULL for older files. */
  private get heartbeatColumn(): string {
    return this.schemaVersion >= 6 ? "e.heartbeat" : "NULL AS heartbeat";
  }

  /** A run's scheduler task (schema 5), or NULL for older files. */
  private get jobIdColumn(): string {
    return this.schemaVersion >= 5 ? "r.job_id" : "NULL AS job_id";
  }

  get schemaVersion(): number {
    return schemaVersionOf(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- hierarchy ---------------------------------------------------------------------------

  listExperiments(): ExperimentSummary[] {
    return this.read(() => {
      const live = new WriterLiveness();
      const rows = this.stmt(
        `SELECT e.*, (SELECT count(*) FROM trial t WHERE t.experiment_id = e.id) AS trial_count,
                (SELECT count(*) FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = e.id) AS run_count
         FROM experiment e ORDER BY e.id`,
      ).all() as ExperimentRow[];
      const counts = new Map<number, Partial<Record<RunStatusName, number>>>();
      const byId = new Map(rows.map((e) => [e.id, e]));
      for (const c of this.stmt(
        `SELECT t.experiment_id AS id, r.status, count(*) AS n FROM trial_run r JOIN trial t ON t.id = r.trial_id
         GROUP BY t.experiment_id, r.status`,
      ).all() as { id: number; status: string; n: number }[]) {
        let record = counts.get(c.id);
        if (!record) counts.set(c.id, (record = {}));
        const writer = byId.get(c.id);
        const status = (writer ? live.effective(c.status, writer) : c.status) as RunStatusName;
        record[status] = (record[status] ?? 0) + c.n;
      }
      return rows.map((e) => ({
        id: e.id,
        uid: e.uid,
        title: e.title,
        desc: e.desc,
        startTime: e.start_time,
        endTime: e.end_time,
        status: live.effective(e.status, e, true) as RunStatusName,
        trialCount: e.trial_count,
        runCount: e.run_count,
        configDir: e.config_dir,
        workspace: e.workspace,
        runStatusCounts: counts.get(e.id) ?? {},
      }));
    });
  }

  listTrials(experimentId: number): TrialSummary[] {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT t.*, (SELECT count(*) FROM trial_run r WHERE r.trial_id = t.id) AS run_count
         FROM trial t WHERE t.experiment_id = ? ORDER BY t.id`,
      ).all(experimentId) as TrialRow[];
      return rows.map(trialSummary);
    });
  }

  /** Runs in id order; `limit` (with `offset`) returns one page of them. */
  listRuns(filter: { experimentId?: number; trialId?: number; offset?: number; limit?: number } = {}): RunSummary[] {
    return this.read(() =>
      this.runs(filter.experimentId ?? null, filter.trialId ?? null, null, {
        offset: filter.offset,
        limit: filter.limit,
      }),
    );
  }

  /**
   * One page of an experiment's trials in the tree's order (./trial-page.ts): per-trial status
   * counts and the watched metric's final values come from two grouped queries, so a
   * 10,000-run sweep answers without building 10,000 run summaries.
   */
  trialsPage(experimentId: number, offset = 0, limit = DEFAULT_PAGE): TrialPage {
    return this.read(() => {
      const experiment = this.stmt(
        `SELECT e.status, e.pid, e.host, ${this.heartbeatColumn}, ${this.schemaVersion >= 5 ? "e.config" : "NULL AS config"} FROM experiment e WHERE e.id = ?`,
      ).get(experimentId) as (WriterInfo & { config: string | null }) | undefined;
      if (!experiment) throw new ResultsNotFoundError(`No experiment with id ${experimentId} in ${this.file}`);
      // The order of a big sweep is worked out once per state of the file: "Show 200 more" and
      // a tree refresh with nothing written since cost one page of summaries.
      // SQLite's data_version changes when another connection commits; PostgreSQL has none
      // (undefined): its order is worked out every time.
      const version = this.db.pragma("data_version", { simple: true });
      const cached = this.trialOrderCache;
      if (typeof version === "number" && cached && cached.experimentId === experimentId && cached.version === version)
        return pageOf(cached.sorted, cached.order, offset, limit, (ids) => this.trialSummaries(ids));
      // Raw rows: at 10,000 trials, building objects for every row is most of the cost.
      const names = this.stmt("SELECT id, name FROM trial WHERE experiment_id = ? ORDER BY id")
        .raw(true)
        .all(experimentId) as [number, string][];
      const order = trialOrder(parseStoredConfig(experiment.config), names.length);
      const stats = new Map<number, TrialStats>();
      for (const [id, name] of names) stats.set(id, { id, name, runStatusCounts: {}, values: [] });
      const live = new WriterLiveness();
      for (const [trialId, stored, n] of this.stmt(
        `SELECT r.trial_id, r.status, count(*) FROM trial_run r JOIN trial t ON t.id = r.trial_id
         WHERE t.experiment_id = ? GROUP BY r.trial_id, r.status`,
      )
        .raw(true)
        .all(experimentId) as [number, string, number][]) {
        const counts = stats.get(trialId)?.runStatusCounts;
        if (!counts) continue;
        const status = live.effective(stored, experiment) as RunStatusName;
        counts[status] = (counts[status] ?? 0) + n;
      }
      if (order.by === "metric") {
        // A run's final value: run scope wins, then epoch, then batch (as finalMetrics).
        const finals = new Map<number, { trial: number; rank: number; value: number }>();
        for (const [trialId, runId, scope, value] of this.stmt(
          `SELECT trial_id, run_id, scope, last_value FROM series
           WHERE experiment_id = ? AND key = ? AND run_id IS NOT NULL AND count > 0${this.schemaVersion >= 3 ? " AND label IS NULL" : ""}`,
        )
          .raw(true)
          .all(experimentId, order.metric.key) as [number, number, Scope, number | null][]) {
          const rank = SCOPE_RANK[scope];
          const current = finals.get(runId);
          if (!current || rank < current.rank) finals.set(runId, { trial: trialId, rank, value: value ?? NaN });
        }
        for (const f of finals.values()) stats.get(f.trial)?.values.push(f.value);
      }
      const sorted = sortTrials([...stats.values()], order);
      if (typeof version === "number") this.trialOrderCache = { experimentId, version, order, sorted };
      return pageOf(sorted, order, offset, limit, (ids) => this.trialSummaries(ids));
    });
  }

  private trialSummaries(ids: number[]): TrialSummary[] {
    if (ids.length === 0) return [];
    return (
      this.db
        .prepare(
          `SELECT t.*, (SELECT count(*) FROM trial_run r WHERE r.trial_id = t.id) AS run_count
           FROM trial t WHERE t.id IN (${ids.map(() => "?").join(",")})`,
        )
        .all(...ids) as TrialRow[]
    ).map(trialSummary);
  }

  getRun(runId: number): RunSummary | null {
    return this.read(() => this.runs(null, null, runId)[0] ?? null);
  }

  private runs(
    experimentId: number | null,
    trialId: number | null,
    runId: number | null,
    page: { offset?: number; limit?: number } = {},
  ): RunSummary[] {
    // CAST: PostgreSQL must know a parameter's type even where it is only tested for NULL.
    let where =
      "(CAST(:e AS BIGINT) IS NULL OR t.experiment_id = :e) AND (CAST(:t AS BIGINT) IS NULL OR r.trial_id = :t) AND (CAST(:r AS BIGINT) IS NULL OR r.id = :r)";
    const joinRun = (alias: string) => `JOIN trial_run r ON r.id = ${alias}.run_id JOIN trial t ON t.id = r.trial_id`;
    const args: Record<string, number | null> = { e: experimentId, t: trialId, r: runId };
    const paged = page.limit !== undefined;
    const rows = this.stmt(
      `SELECT r.id, r.uid, r.trial_id, t.experiment_id, t.name AS trial_name, e.title, r.repeat, r.seed, r.status,
              r.start_time, r.end_time, r.error_message, r.error_stack, r.workspace, ${this.jobIdColumn}, e.status AS exp_status, e.pid, e.host, ${this.heartbeatColumn},
              ${this.schemaVersion >= 9 ? "r.warning" : "NULL AS warning"}, (SELECT count(*) FROM epoch p WHERE p.run_id = r.id) AS epoch_count
       FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id WHERE ${where} ORDER BY r.id${paged ? " LIMIT :limit OFFSET :offset" : ""}`,
    ).all(
      paged
        ? { ...args, limit: Math.max(0, Math.floor(page.limit!)), offset: Math.max(0, Math.floor(page.offset ?? 0)) }
        : args,
    ) as RunRow[];
    if (rows.length === 0) return [];
    if (paged) {
      // The page is a contiguous id range of the filter: params and finals of just those runs.
      where += " AND r.id BETWEEN :lo AND :hi";
      args.lo = rows[0].id;
      args.hi = rows[rows.length - 1].id;
    }
    const params = new Map<number, Record<string, unknown>>();
    for (const p of this.stmt(
      `SELECT p.run_id, p.key, p.value FROM param p ${joinRun("p")} WHERE ${where} ORDER BY p.key`,
    ).all(args) as {
      run_id: number;
      key: string;
      value: string;
    }[]) {
      let record = params.get(p.run_id);
      if (!record) params.set(p.run_id, (record = {}));
      record[p.key] = parseJson(p.value);
    }
    const finals = new Map<number, { values: Record<string, number>; rank: Record<string, number> }>();
    for (const s of this.stmt(
      // A total before a label series of the same joined key (schema v7 keeps both): it wins.
      `SELECT s.run_id, s.key, s.scope, s.last_value FROM series s ${joinRun("s")} WHERE ${where} AND s.count > 0${this.schemaVersion >= 3 ? " ORDER BY s.label IS NOT NULL" : ""}`,
    ).all(args) as { run_id: number; key: string; scope: Scope; last_value: number | null }[]) {
      let f = finals.get(s.run_id);
      if (!f) finals.set(s.run_id, (f = { values: {}, rank: {} }));
      const rank = SCOPE_RANK[s.scope];
      if (f.rank[s.key] === undefined || rank < f.rank[s.key]) {
        f.rank[s.key] = rank;
        f.values[s.key] = s.last_value ?? NaN; // SQLite stores NaN as NULL
      }
    }
    const ranges = new Map<number, Record<string, [number, number]>>();
    for (const s of this.stmt(
      `SELECT s.run_id, s.key, s.scope, min(c.min_value) AS lo, max(c.max_value) AS hi
       FROM series s ${joinRun("s")} JOIN chunk c ON c.series_id = s.id
       WHERE ${where} AND s.count > 0 GROUP BY s.id${this.schemaVersion >= 3 ? " ORDER BY s.label IS NOT NULL" : ""}`,
    ).all(args) as { run_id: number; key: string; scope: Scope; lo: number | null; hi: number | null }[]) {
      // The same scope as the final value (run, then epoch, then batch).
      if (s.lo === null || s.hi === null || finals.get(s.run_id)?.rank[s.key] !== SCOPE_RANK[s.scope]) continue;
      let f = ranges.get(s.run_id);
      if (!f) ranges.set(s.run_id, (f = {}));
      f[s.key] ??= [s.lo, s.hi]; // the total first, like the final value
    }
    const notes = new Map<number, string>();
    const tags = new Map<number, string[]>();
    if (this.schemaVersion >= 8) {
      for (const n of this.stmt(`SELECT n.run_id, n.note FROM run_note n ${joinRun("n")} WHERE ${where}`).all(args) as {
        run_id: number;
        note: string;
      }[])
        notes.set(n.run_id, n.note);
      for (const t of this.stmt(
        `SELECT g.run_id, g.tag FROM run_tag g ${joinRun("g")} WHERE ${where} ORDER BY g.run_id, g.tag`,
      ).all(args) as { run_id: number; tag: string }[]) {
        const list = tags.get(t.run_id);
        if (list) list.push(t.tag);
        else tags.set(t.run_id, [t.tag]);
      }
    }
    const live = new WriterLiveness();
    return rows.map((r) => ({
      id: r.id,
      uid: r.uid,
      trialId: r.trial_id,
      experimentId: r.experiment_id,
      trialName: r.trial_name,
      experimentTitle: r.title,
      repeat: r.repeat,
      seed: r.seed,
      status: live.effective(r.status, {
        status: r.exp_status,
        pid: r.pid,
        host: r.host,
        heartbeat: r.heartbeat,
      }) as RunStatusName,
      startTime: r.start_time,
      endTime: r.end_time,
      epochCount: r.epoch_count,
      params: params.get(r.id) ?? {},
      finalMetrics: finals.get(r.id)?.values ?? {},
      metricRanges: ranges.get(r.id) ?? {},
      note: notes.get(r.id) ?? "",
      tags: tags.get(r.id) ?? [],
      error: runError(r, live),
      workspace: r.workspace,
      jobId: r.job_id ?? null,
      ...(r.warning ? { warning: r.warning } : {}),
    }));
  }

  /** The config the run used (see RunConfig); null when its experiment stored none. */
  runConfig(runId: number): RunConfig | null {
    return this.read(() => {
      if (this.schemaVersion < 5) return null; // the plan's config is stored from schema 5 on
      const row = this.stmt(
        `SELECT r.id, t.uid AS trial_uid, t.name AS trial_name, e.uid AS experiment_uid, e.config
         FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id WHERE r.id = ?`,
      ).get(runId) as
        { trial_uid: string; trial_name: string; experiment_uid: string; config: string | null } | undefined;
      if (!row?.config) return null;
      return configOfTrial(parseJson(row.config), row.experiment_uid, row.trial_uid, row.trial_name, runId);
    });
  }

  listEpochs(runId: number): EpochSummary[] {
    return this.read(() => {
      const writer = this.writerOfRun(runId);
      const live = new WriterLiveness();
      const metrics = new Map<number, Record<string, number>>();
      for (const m of this.stmt("SELECT epoch, key, value FROM epoch_metric WHERE run_id = ? ORDER BY epoch, key").all(
        runId,
      ) as {
        epoch: number;
        key: string;
        value: number | null;
      }[]) {
        let record = metrics.get(m.epoch);
        if (!record) metrics.set(m.epoch, (record = {}));
        record[m.key] = m.value ?? NaN;
      }
      const rows = this.stmt("SELECT * FROM epoch WHERE run_id = ? ORDER BY idx").all(runId) as EpochRow[];
      return rows.map((p) => ({
        runId: p.run_id,
        idx: p.idx,
        startTime: p.start_time,
        endTime: p.end_time,
        status: (writer ? live.effective(p.status, writer) : p.status) as RunStatusName,
        batchCount: p.batch_count,
        metrics: metrics.get(p.idx) ?? {},
      }));
    });
  }

  private writerOfRun(runId: number): WriterInfo | undefined {
    return this.stmt(
      `SELECT e.status, e.pid, e.host, ${this.heartbeatColumn} FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id WHERE r.id = ?`,
    ).get(runId) as WriterInfo | undefined;
  }

  // ---- series ------------------------------------------------------------------------------

  seriesKeys(runId: number): SeriesKey[] {
    return this.read(() =>
      (
        this.stmt(
          `SELECT key, scope, count, min_step, max_step, custom, ${this.labelColumn()} FROM series WHERE run_id = ? AND count > 0 ORDER BY key, scope`,
        ).all(runId) as SeriesRow[]
      ).map((s) => {
        const key: SeriesKey = {
          key: s.key,
          scope: s.scope,
          count: s.count,
          minStep: s.min_step,
          maxStep: s.max_step,
          custom: s.custom === 1,
        };
        return withLabel(key, s);
      }),
    );
  }

  /** `label` where the file has the column (schema v3), NULL before. */
  private labelColumn(): string {
    return this.schemaVersion >= 3 ? "label" : "NULL AS label";
  }

  /**
   * One series of a run. Without `buckets`, every point (in the zoom range, after `afterStep`);
   * with it, about that many buckets over the step range, each keeping its min, max and last
   * point (and first NaN). Chunks outside the step range are skipped unread. Without `scope`,
   * the scope with the most points is used. Points tracked without a step (run scope) report
   * their index in the series as step.
   */
  getSeries(query: SeriesQuery): Series {
    return this.read(() => {
      const series = this.findSeries(query.runId, query.key, query.scope, query.label);
      const lo = Math.max(query.minStep ?? -Infinity, query.afterStep ?? -Infinity);
      const hi = query.maxStep ?? Infinity;
      const afterStrict = query.afterStep !== undefined && lo === query.afterStep;
      const conditions = ["series_id = ?"];
      const args: number[] = [series.id];
      if (lo > -Infinity) {
        conditions.push("(min_step IS NULL OR max_step >= ?)");
        args.push(lo);
      }
      if (hi < Infinity) {
        conditions.push("(min_step IS NULL OR min_step <= ?)");
        args.push(hi);
      }
      const enc = this.schemaVersion >= 2 ? "enc" : "0 AS enc";
      const chunks = this.stmt(
        `SELECT seq, n, ${enc}, min_step, first_time, steps, vals, times FROM chunk WHERE ${conditions.join(" AND ")} ORDER BY seq`,
      )
        .raw(true)
        .all(...args) as [number, number, number, number | null, number, Buffer, Buffer, Buffer][];
      const scratch = new ChunkScratch();

      let capacity = 0;
      for (const c of chunks) capacity += c[1];
      // Reduce only when there can be more points than buckets; otherwise every point is sent.
      const wanted = query.buckets !== undefined && query.buckets > 0 ? Math.floor(query.buckets) : 0;
      const reducer =
        wanted > 0 && capacity > wanted
          ? new BucketReducer(
              wanted,
              Math.max(lo, series.min_step ?? 0),
              Math.min(hi, series.max_step ?? Math.max(0, series.count - 1)),
            )
          : undefined;
      // Without reduction, points in range go to typed columns first (no per-point allocation).
      const S = reducer ? undefined : new Float64Array(capacity);
      const V = reducer ? undefined : new Float64Array(capacity);
      const T = reducer ? undefined : new Float64Array(capacity);
      const filtered = lo > -Infinity || hi < Infinity;
      const filter = { lo, hi, loExclusive: afterStrict };
      let total = 0;
      for (const [seq, n, encoding, chunkMinStep, firstTime, stepBlob, valueBlob, timeBlob] of chunks) {
        let decoded: ReturnType<typeof decodeChunk>;
        try {
          decoded = decodeChunk(encoding, n, chunkMinStep, firstTime, stepBlob, valueBlob, timeBlob, scratch);
        } catch (error) {
          // A crafted or damaged row: say where, not "Invalid typed array length".
          throw new TrackingDbError(
            "DB_UNREADABLE",
            this.file,
            `${this.file} is damaged: run ${query.runId}, series '${series.key}' (${series.scope}), chunk ${seq} (${n} points, encoding ${encoding}) cannot be decoded: ${(error as Error).message}.`,
            { cause: error },
          );
        }
        const { steps: ss, values: vs, times: ts } = decoded;
        const base = seq * CHUNK_POINTS;
        if (reducer) {
          total += reducer.addColumns(ss, vs, ts, n, base, filtered ? filter : undefined);
          continue;
        }
        for (let i = 0; i < n; i++) {
          let s = ss[i];
          if (s !== s) s = base + i; // no step: its index in the series
          if (filtered) {
            if (afterStrict ? !(s > lo) : !(s >= lo)) continue;
            if (!(s <= hi)) continue;
          }
          S![total] = s;
          V![total] = vs[i];
          T![total] = ts[i];
          total++;
        }
      }
      const out = reducer ? reducer.result() : { steps: S!, values: V!, times: T!, length: total };
      const length = out.length;
      const steps: number[] = new Array(length);
      const values: (number | null)[] = new Array(length);
      const times: number[] = new Array(length);
      const nonFinite: Record<number, NonFiniteName> = {};
      let hasNonFinite = false;
      for (let i = 0; i < length; i++) {
        const v = out.values[i];
        if (v - v !== 0) {
          nonFinite[i] = nonFiniteName(v);
          hasNonFinite = true;
          values[i] = null;
        } else {
          values[i] = v;
        }
        steps[i] = out.steps[i];
        times[i] = out.times[i];
      }
      const downsampled = reducer !== undefined && length < total;
      const result: Series = {
        runId: query.runId,
        key: series.key,
        scope: series.scope,
        steps,
        values,
        times,
        totalPoints: total,
        downsampled,
      };
      if (hasNonFinite) result.nonFinite = nonFinite;
      return withLabel(result, series);
    });
  }

  private findSeries(runId: number, key: string, scope?: Scope, label?: string): SeriesRow {
    // The unlabelled series first: a total wins over a label series of the same joined name.
    const rows = (
      this.stmt(
        `SELECT id, key, scope, count, min_step, max_step, custom, ${this.labelColumn()} FROM series WHERE run_id = ? AND key = ? ORDER BY label IS NOT NULL, count DESC`,
      ).all(runId, key) as SeriesRow[]
    ).filter((r) => label === undefined || r.label === label);
    const found = scope === undefined ? rows[0] : rows.find((r) => r.scope === scope);
    if (found) return found;
    const run = this.stmt("SELECT id FROM trial_run WHERE id = ?").get(runId);
    if (!run) throw new ResultsNotFoundError(`Run ${runId} does not exist in ${this.file}.`);
    const keys = (
      this.stmt("SELECT DISTINCT key FROM series WHERE run_id = ? ORDER BY key").all(runId) as { key: string }[]
    ).map((k) => k.key);
    throw new ResultsNotFoundError(
      `Run ${runId} has no series '${key}'${label !== undefined ? ` with label '${label}'` : ""}${scope ? ` at ${scope} scope` : ""} in ${this.file}. Its keys: ${keys.join(", ") || "(none)"}.`,
    );
  }

  /** Non-numeric metric values of a run (strings, objects, null), oldest first. */
  textValues(runId: number, key?: string): TextPoint[] {
    return this.read(() =>
      (
        this.stmt(
          `SELECT s.key, s.scope, m.step, m.epoch, m.batch, m.time, m.value FROM metric_text m JOIN series s ON s.id = m.series_id
         WHERE s.run_id = :run AND (CAST(:key AS TEXT) IS NULL OR s.key = :key) ORDER BY m.id`,
        ).all({ run: runId, key: key ?? null }) as (Omit<TextPoint, "value"> & { value: string })[]
      ).map((t) => ({ ...t, value: parseJson(t.value) })),
    );
  }

  // ---- checkpoints and artifacts -----------------------------------------------------------

  listCheckpoints(runId: number): CheckpointRecord[] {
    return this.read(() =>
      (this.stmt("SELECT * FROM checkpoint WHERE run_id = ? ORDER BY time, id").all(runId) as CheckpointRow[]).map(
        (c) => ({
          id: c.id,
          runId: c.run_id,
          epoch: c.epoch,
          path: c.path,
          final: c.final === 1,
          time: c.time,
          metrics: (parseJson(c.metrics) ?? {}) as Record<string, number | string>,
          exists: fs.existsSync(c.path),
        }),
      ),
    );
  }

  /** Artifacts of a run, its epochs and batches. */
  listArtifacts(runId: number): ArtifactRecord[] {
    return this.artifacts("SELECT * FROM artifact WHERE run_id = ? ORDER BY time, id", runId);
  }

  /** Artifacts filed at experiment level (`onAddArtifact(Level.EXPERIMENT, ...)`). */
  listExperimentArtifacts(experimentId: number): ArtifactRecord[] {
    return this.artifacts(
      "SELECT * FROM artifact WHERE level = 'experiment' AND experiment_id = ? ORDER BY time, id",
      experimentId,
    );
  }

  /** Artifacts filed at trial level. */
  listTrialArtifacts(trialId: number): ArtifactRecord[] {
    return this.artifacts("SELECT * FROM artifact WHERE level = 'trial' AND trial_id = ? ORDER BY time, id", trialId);
  }

  private artifacts(sql: string, id: number): ArtifactRecord[] {
    return this.read(() =>
      (this.stmt(sql).all(id) as ArtifactRow[]).map((a) => ({
        id: a.id,
        level: a.level,
        ownerId: a.level === "experiment" ? a.experiment_id : a.level === "trial" ? a.trial_id : a.run_id,
        epoch: a.epoch,
        type: a.type,
        path: a.path,
        time: a.time,
      })),
    );
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** Runs a query in one read transaction (one consistent snapshot), naming the file on errors. */
  private read<T>(fn: () => T): T {
    if (!this.db.open)
      throw new TrackingDbError("DB_UNREADABLE", this.file, `Tracking database ${this.file} was closed.`);
    this.followReplacement();
    try {
      return this.db.transaction(fn).deferred();
    } catch (error) {
      if (error instanceof ResultsNotFoundError || error instanceof TrackingDbError) throw error;
      const code = (error as { code?: string }).code ?? "";
      if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
        throw new TrackingDbError(
          "DB_LOCKED",
          this.file,
          `Tracking database ${this.file} is locked (${(error as Error).message}); try again.`,
          { cause: error },
        );
      }
      if (/^SQLITE_(NOTADB|CORRUPT|IOERR|CANTOPEN|READONLY|PERM)/.test(code)) {
        throw new TrackingDbError(
          "DB_UNREADABLE",
          this.file,
          `Cannot read tracking database ${this.file}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      // A table or column its schema version promises is not there: the file was altered
      // outside expman. Without the file's name the user cannot tell which one (ls reads many).
      if (/^no such (table|column)/.test((error as Error).message ?? "")) {
        throw new TrackingDbError(
          "DB_UNREADABLE",
          this.file,
          `Cannot read tracking database ${this.file}: ${(error as Error).message}, although its schema version (${this.schemaVersion}) has it: the file was altered outside expman or is damaged. Move it out of the workspace's artifacts folder (or restore it from a copy); other databases are not affected.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * A long-lived reader (the query service) would otherwise keep reading a deleted file after
   * a run recreated it: notice the new inode and reopen.
   */
  private followReplacement(): void {
    if (this.ino === -2) return;
    const ino = inodeOf(this.file);
    if (ino === undefined) {
      throw new TrackingDbError(
        "DB_NOT_FOUND",
        this.file,
        `Tracking database ${this.file} no longer exists (deleted or moved).`,
      );
    }
    // Same file: unless this reads a private copy (read-copy.ts) and a writer went on since.
    if (ino === this.ino && !copyIsStale(this.db, this.file)) return;
    const db = openStoreForReading(this.target, this.options);
    this.db.close();
    this.db = db;
    this.ino = ino;
    this.statements.clear();
    this.trialOrderCache = undefined;
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

/** The stored error, or why a run shown ABORTED (its writer stopped) has none. */
function trialSummary(t: TrialRow): TrialSummary {
  return {
    id: t.id,
    uid: t.uid,
    experimentId: t.experiment_id,
    name: t.name,
    startTime: t.start_time,
    endTime: t.end_time,
    runCount: t.run_count,
    workspace: t.workspace,
  };
}

function runError(r: RunRow, live: WriterLiveness): RunSummary["error"] {
  if (r.error_message !== null)
    return r.error_stack === null ? { message: r.error_message } : { message: r.error_message, stack: r.error_stack };
  if (r.status !== "RUNNING") return null;
  const why = live.explain({ status: r.exp_status, pid: r.pid, host: r.host, heartbeat: r.heartbeat });
  return why ? { message: why } : null;
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sets `metric` and `label` of a per-label series from its stored row. The writer stores such a
 * series as key `<metric>/<label>` with the label in its own column (schema v3), so the metric
 * is the key without that exact, known suffix: no guess at where a `/` splits it.
 */
function withLabel<T extends { metric?: string; label?: string }>(
  target: T,
  row: { key: string; label: string | null },
): T {
  if (row.label === null) return target;
  const suffix = `/${row.label}`;
  target.metric = row.key.endsWith(suffix) ? row.key.slice(0, row.key.length - suffix.length) : row.key;
  target.label = row.label;
  return target;
}
