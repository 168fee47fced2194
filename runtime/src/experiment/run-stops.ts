/**
 * Stop requests for single runs (the editor's "Stop Run"): each run gets its own abort signal,
 * aborted when the whole experiment is (SIGINT, "Stop Experiment") or when that run is asked to
 * stop; the experiment then goes on with its next run. A request for a run that has not
 * started yet is kept: that run ends ABORTED as soon as it starts.
 */
import type { RunKey } from "../events/control";

const keyOf = (run: RunKey) => `${run.repeat}\u0000${run.trial}`;

export class RunStops {
  private readonly requested = new Set<string>();
  private readonly active = new Map<string, AbortController>();
  /** Every run that began in this process, ended or not. */
  private readonly begun = new Set<string>();

  constructor(private readonly experiment: AbortSignal) {}

  /** The signal of a run that starts now. */
  begin(run: RunKey): AbortSignal {
    const controller = new AbortController();
    const key = keyOf(run);
    this.begun.add(key);
    // The experiment's reason is passed on: a fatal tracker error fails the run with it.
    const abort = () => controller.abort(this.experiment.reason);
    if (this.experiment.aborted) controller.abort(this.experiment.reason);
    else if (this.requested.delete(key)) controller.abort();
    else this.experiment.addEventListener("abort", abort, { once: true });
    controller.signal.addEventListener("abort", () => this.experiment.removeEventListener("abort", abort), {
      once: true,
    });
    this.active.set(key, controller);
    return controller.signal;
  }

  end(run: RunKey): void {
    const key = keyOf(run);
    const controller = this.active.get(key);
    if (controller && !controller.signal.aborted) controller.abort(); // drops the listener on the experiment
    this.active.delete(key);
  }

  /** Asks one run to stop: "running" when it is under way, "pending" when it has not started. */
  stop(run: RunKey): "running" | "pending" {
    const controller = this.active.get(keyOf(run));
    if (controller) {
      controller.abort();
      return "running";
    }
    this.requested.add(keyOf(run));
    return "pending";
  }

  /** Whether this run began in this process (it may have ended since). */
  hasBegun(run: RunKey): boolean {
    return this.begun.has(keyOf(run));
  }

  /** Whether this run was stopped on its own (not as part of the whole experiment). */
  stoppedAlone(signal: AbortSignal | undefined): boolean {
    return Boolean(signal?.aborted) && !this.experiment.aborted;
  }
}
