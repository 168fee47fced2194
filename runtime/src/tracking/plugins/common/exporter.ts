/**
 * What the trackers that export to another tool's format (TensorBoard, MLflow) share: the
 * series name of a point, the step of run-scope points, warnings said once, and where warnings
 * go. What a metric value is as a number (or as text) is tracking/metric-value.ts.
 */

import type { MetricPoint } from "../../types";

/**
 * The series name a point is written under in TensorBoard and MLflow: its key, and for
 * batch-scope points `batch/<key>`. Both tools keep one series per name, and a pipeline that
 * logs `train_loss` per batch (step = global batch) and per epoch (step = epoch index) would
 * otherwise get one zig-zag line through both (seen in TensorBoard's own dashboard); the `/`
 * groups the batch curves in a section of their own.
 */
export class SeriesNames {
  private readonly batch = new Map<string, string>();

  of(point: Pick<MetricPoint, "key" | "scope">): string {
    if (point.scope !== "batch") return point.key;
    let name = this.batch.get(point.key);
    if (name === undefined) {
      name = `batch/${point.key}`;
      this.batch.set(point.key, name);
    }
    return name;
  }
}

/**
 * Tracks the run's epochs so that points without a step (run scope: final metrics) get a
 * documented one: the index after the last finished epoch, i.e. `lastEpoch + 1`, or 0 when no
 * epoch ran. Charts then put final metrics just right of the training curve.
 */
export class StepClock {
  private lastEpoch: number | null = null;

  epochEnded(epoch: number | undefined | null): void {
    if (typeof epoch === "number" && Number.isFinite(epoch)) this.lastEpoch = Math.max(this.lastEpoch ?? epoch, epoch);
  }

  reset(): void {
    this.lastEpoch = null;
  }

  /** The step to record for a point: its own, else the run-scope step above. Integral. */
  stepOf(point: Pick<MetricPoint, "step" | "epoch">): number {
    if (point.step !== null && Number.isFinite(point.step)) return Math.trunc(point.step);
    if (point.epoch !== null) return point.epoch;
    return this.runStep();
  }

  runStep(): number {
    return this.lastEpoch === null ? 0 : this.lastEpoch + 1;
  }
}

/** Says each distinct thing once: a bad value per key must not flood the log. */
export class OnceWarner {
  private readonly seen = new Set<string>();
  constructor(private readonly sink: (message: string) => void) {}

  warn(key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.sink(message);
  }
}

export type Warn = (message: string) => void;

/** Where a tracker's warnings go: the environment's log file when there is one, else stderr. */
export function warnSinkOf(env: { logger?: { warning(message: string): void } } | undefined): Warn {
  if (env?.logger) return (m) => env.logger!.warning(m);
  return (m) => process.stderr.write(`${m}\n`);
}
