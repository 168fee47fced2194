import type { TrialRunResult } from "../experiment/trial";

/**
 * Messages on the IPC channel between `expman run` (the coordinator) and a local worker
 * (`expman worker`). Run events travel on the worker's events channel (fd 3), not here; this
 * channel carries control and the run's result, and its closing tells a worker that its
 * coordinator is gone.
 */

/** Coordinator to worker: end the run ABORTED at its next epoch or batch. */
export type ToWorker = { kind: "stop" };

/** Worker to coordinator: how the run ended (sent before the worker exits). */
export type FromWorker = { kind: "result"; result: TrialRunResult };
