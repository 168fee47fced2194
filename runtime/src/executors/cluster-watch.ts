import { displayTarget, isPostgresUrl } from "../tracking/db/sql";
import { sourceStamp } from "../tracking/db/read-copy";
import { reconcileDbFile } from "./slurm";
import type { TaskState } from "./slurm-cluster";

/**
 * The request a store's reader process (`expman serve --direct`) answers with reconcileDbFile:
 * the reconcile runs there, behind that reader's deadline, so a crafted file or a hung
 * controller costs that store's reader and never the service or `expman ls` themselves. Not a
 * query method: the service refuses it from outside.
 */
export const RECONCILE_METHOD = "cluster.reconcile";

/** Its answer: whether the store held open Slurm runs, and the cluster's view of each by run uid. */
export interface ReconcileAnswer {
  open: boolean;
  tasks: ({ uid: string } & TaskState)[];
}

/** Answers RECONCILE_METHOD for one store (in its reader process). */
export async function reconcileAnswer(target: string): Promise<ReconcileAnswer> {
  const found = await reconcileDbFile(target);
  return {
    open: found.open,
    tasks: [...found.tasks].map(([uid, t]) => ({ uid, ...t })),
  };
}

/**
 * The query service's view of the cluster (`expman serve`, which the editor's tree and panel
 * read through): before answering a query that shows run statuses, a store is reconciled with
 * Slurm the same way `expman ls` does it (reconcileDbFile: only when the store holds QUEUED or
 * RUNNING runs with a job id does it ask squeue/scontrol, and it writes what only the cluster
 * knows: a task killed without a word, a TIMEOUT, a CANCELLED one that never started).
 *
 * Bounded, because the tree asks often: each store at most once per `intervalMs`, one reconcile
 * in flight per store (queries meanwhile join it), and a query waits for it at most `waitMs`
 * (a hung controller costs a query that long once; the reconcile finishes in the background
 * and the next query sees its result). A SQLite file found without open Slurm runs is not
 * looked into again until it changes (looking may mean a private copy of it, see read-copy.ts):
 * a new Slurm run is written to it before it is submitted. Opening a PostgreSQL store blocks
 * this process while it connects (pg/sync-bridge.ts): a store whose look failed or took over a
 * second is looked at half as often each time (down to once a minute) until a look is quick.
 */
export class ClusterWatch {
  private readonly stores = new Map<string, Entry>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly options: {
      intervalMs?: number;
      waitMs?: number;
      /** What reconciles one store: the service asks the store's reader (tests count the calls). */
      reconcile: (target: string) => Promise<{ open: boolean }>;
      now?: () => number;
      /** Where a failed reconcile is reported, once per store (serve's stderr). */
      warn?: (message: string) => void;
    },
  ) {}

  /** Resolves once the store was reconciled recently enough (or the wait ran out). */
  before(target: string): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const entry = this.stores.get(target);
    if (entry?.pending) return this.bounded(entry.pending);
    const base = this.options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (entry && now - entry.at < (entry.interval ?? base)) return Promise.resolve();
    const stamp = isPostgresUrl(target) ? undefined : sourceStamp(target);
    if (entry && stamp !== undefined && entry.quietStamp === stamp) {
      entry.at = now;
      return Promise.resolve();
    }
    const reconcile = this.options.reconcile;
    const next: Entry = { at: now, interval: base };
    const started = Date.now();
    const slow = () => {
      if (Date.now() - started > SLOW_MS) next.interval = Math.min(MAX_INTERVAL_MS, 2 * (entry?.interval ?? base));
    };
    next.pending = reconcile(target).then(
      (found) => {
        next.pending = undefined;
        slow();
        // Nothing of Slurm's open in this file: quiet until the file changes.
        if (!found.open) next.quietStamp = stamp;
      },
      (error: Error) => {
        next.pending = undefined;
        next.interval = Math.min(MAX_INTERVAL_MS, 2 * (entry?.interval ?? base));
        // A store the service cannot write (read-only copy, locked past the timeout): queries go on.
        if (this.warned.has(target)) return;
        this.warned.add(target);
        (this.options.warn ?? ((m) => process.stderr.write(`${m}\n`)))(
          `expman serve: could not bring the cluster's run states into ${displayTarget(target)}: ${error?.message ?? error}`,
        );
      },
    );
    this.stores.set(target, next);
    return this.bounded(next.pending);
  }

  private bounded(pending: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.waitMs ?? DEFAULT_WAIT_MS);
      timer.unref();
    });
    return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
  }
}

interface Entry {
  /** When the store was last looked at. */
  at: number;
  /** How long until the next look (longer after slow or failed looks). */
  interval?: number;
  /** The reconcile in flight. */
  pending?: Promise<void>;
  /** The SQLite file's stamp when it was found with no Slurm run open. */
  quietStamp?: string;
}

/** At most one look at the cluster per store this often. */
export const DEFAULT_INTERVAL_MS = 5000;
/** A look slower than this (a PostgreSQL server slow to connect) makes the next one come later. */
const SLOW_MS = 1000;
const MAX_INTERVAL_MS = 60_000;
/** How long a query waits for a look at the cluster before it is answered from the store as is. */
export const DEFAULT_WAIT_MS = 3000;
