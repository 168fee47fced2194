import * as os from "node:os";
import { Owner } from "./run-owner";
import type { SeriesBuffer } from "./series-buffer";
import { resumeSeries } from "./series-resume";
import type { WriteGate } from "./write-gate";
import type { Statements } from "./write-statements";

export interface ExperimentRow {
  title: string;
  desc: string;
  configDir: string | null;
  workspace: string | null;
  time: number;
}

export interface TrialIds {
  id: number;
  experimentId: number;
}

export interface RunIds {
  id: number;
  trialId: number;
  experimentId: number;
}

/**
 * The experiment, trial and run rows this writer files data under: uid -> row id (cached,
 * looked up in the file, or inserted), the Owner of each, and which rows this process is the
 * writer of (so its heartbeat and its exit cover exactly those).
 */
export class EntityRows {
  private readonly experiments = new Map<string, number>();
  private readonly trials = new Map<string, TrialIds>();
  private readonly runs = new Map<string, RunIds>();
  private readonly owners = new Map<string, Owner>();
  /** Entities inserted by this store whose first Owner has not been made yet: no series in the file. */
  private readonly fresh = new Set<string>();
  /** Rows this process created, so close/exit can mark the ones left RUNNING as ABORTED. */
  readonly createdExperiments: number[] = [];
  /** Runs this process started (a worker runs one of another process's experiment). */
  readonly startedRuns: number[] = [];

  constructor(
    private readonly st: Statements,
    private readonly gate: WriteGate,
  ) {}

  createExperiment(uid: string, row: ExperimentRow): number {
    const known = this.experimentId(uid, false);
    if (known !== undefined) return known;
    const id = Number(
      this.gate.waiting(() =>
        this.st.insertExperiment.run(
          uid,
          row.title,
          row.desc,
          row.time,
          row.configDir,
          row.workspace,
          process.pid,
          os.hostname(),
          Date.now(),
        ),
      ).lastInsertRowid,
    );
    this.experiments.set(uid, id);
    this.createdExperiments.push(id);
    this.fresh.add(uid);
    return id;
  }

  /** The row id of an experiment uid; creates an untitled row if it was never announced. */
  experimentId(uid: string, create = true): number | undefined {
    let id = this.experiments.get(uid);
    if (id !== undefined) return id;
    const row = this.st.experimentByUid.get(uid) as { id: number } | undefined;
    if (row) {
      this.experiments.set(uid, row.id);
      return row.id;
    }
    if (!create) return undefined;
    id = this.createExperiment(uid, { title: "", desc: "", configDir: null, workspace: null, time: Date.now() });
    return id;
  }

  createTrial(uid: string, experimentUid: string, name: string, workspace: string | null, time: number): number {
    const known = this.trialRow(uid, experimentUid, false);
    if (known) return known.id;
    const experimentId = this.experimentId(experimentUid)!;
    const id = Number(
      this.gate.waiting(() => this.st.insertTrial.run(uid, experimentId, name, time, workspace)).lastInsertRowid,
    );
    this.trials.set(uid, { id, experimentId });
    this.fresh.add(uid);
    return id;
  }

  trialRow(uid: string, experimentUid: string | undefined, create = true): TrialIds | undefined {
    const cached = this.trials.get(uid);
    if (cached) return cached;
    const row = this.st.trialByUid.get(uid) as { id: number; experiment_id: number } | undefined;
    if (row) {
      const entry = { id: row.id, experimentId: row.experiment_id };
      this.trials.set(uid, entry);
      return entry;
    }
    if (!create || experimentUid === undefined) return undefined;
    this.createTrial(uid, experimentUid, "", null, Date.now());
    return this.trials.get(uid);
  }

  createRun(
    uid: string,
    trialUid: string,
    experimentUid: string,
    info: { repeat: number; seed: number | null; workspace: string | null; time: number },
  ): number {
    const known = this.runRow(uid, undefined, undefined, false);
    if (known) return known.id;
    const trial = this.trialRow(trialUid, experimentUid)!;
    const id = Number(
      this.gate.waiting(() => this.st.insertRun.run(uid, trial.id, info.repeat, info.seed, info.time, info.workspace))
        .lastInsertRowid,
    );
    this.plannedRun(uid, id, trial);
    return id;
  }

  /** A run row this store inserted (createRun, or a plan's insert): known, with no series yet. */
  plannedRun(uid: string, id: number, trial: TrialIds): void {
    this.runs.set(uid, { id, trialId: trial.id, experimentId: trial.experimentId });
    this.fresh.add(uid);
  }

  runRow(
    uid: string,
    trialUid: string | undefined,
    experimentUid: string | undefined,
    create = true,
  ): RunIds | undefined {
    const cached = this.runs.get(uid);
    if (cached) return cached;
    const row = this.st.runByUid.get(uid) as { id: number; trial_id: number; experiment_id: number } | undefined;
    if (row) {
      const entry = { id: row.id, trialId: row.trial_id, experimentId: row.experiment_id };
      this.runs.set(uid, entry);
      return entry;
    }
    if (!create || trialUid === undefined || experimentUid === undefined) return undefined;
    this.createRun(uid, trialUid, experimentUid, { repeat: 0, seed: null, workspace: null, time: Date.now() });
    return this.runs.get(uid);
  }

  /**
   * The owner of whatever is tracked under these ids: the run if there is one, else the trial,
   * else the experiment. Missing parent rows are created (untitled) rather than dropping data.
   */
  owner(ids: { experiment?: string; trial?: string; run?: string }): Owner {
    const uid = ids.run ?? ids.trial ?? ids.experiment;
    if (uid === undefined) {
      throw new Error(
        "DBTracker: nothing to file this under: no experiment was created yet (call onCreate(Level.EXPERIMENT, title) first).",
      );
    }
    let owner = this.owners.get(uid);
    if (owner) return owner;
    if (ids.run !== undefined) {
      requireIds(ids, "run");
      const run = this.runRow(ids.run, ids.trial, ids.experiment)!;
      owner = new Owner(run.experimentId, run.trialId, run.id, this.resumerFor(uid));
    } else if (ids.trial !== undefined) {
      requireIds(ids, "trial");
      const trial = this.trialRow(ids.trial, ids.experiment)!;
      owner = new Owner(trial.experimentId, trial.id, null, this.resumerFor(uid));
    } else {
      owner = new Owner(this.experimentId(ids.experiment!)!, null, null, this.resumerFor(uid));
    }
    this.owners.set(uid, owner);
    return owner;
  }

  /**
   * Series of an entity this store just inserted cannot be in the file yet; any other owner
   * (an entity from the file, or one made again after a release) resumes its series from it.
   * Call after resolving the row, which may insert it.
   */
  private resumerFor(uid: string): ((s: SeriesBuffer) => void) | undefined {
    return this.fresh.delete(uid) ? undefined : (s) => resumeSeries(this.st, s);
  }

  /**
   * Lets go of an owner whose level ended, so a long experiment does not keep every finished
   * run's buffers. Points tracked for it later get a new owner that resumes from the file.
   */
  release(uid: string): void {
    const owner = this.owners.get(uid);
    if (!owner) return;
    owner.released = true;
    this.owners.delete(uid);
  }
}

function requireIds(ids: { experiment?: string; trial?: string; run?: string }, level: "run" | "trial"): void {
  if (ids.experiment === undefined || (level === "run" && ids.trial === undefined)) {
    throw new Error(
      `DBTracker: a ${level} was announced without its ${ids.experiment === undefined ? "experiment" : "trial"} (ids ${JSON.stringify(ids)}).`,
    );
  }
}
