/** The Experiment Manager runtime: everything a pipeline author imports. */
export * from "./contracts";
export { Registry, getRegistry, register, YAMLSerializable } from "./registry/registry";
export type { RegisterOptions, RegistrableClass, RegistryEntry } from "./registry/registry";
export { SeededRandom } from "./common/random";
export { Environment } from "./env/environment";
export type { EnvironmentOptions } from "./env/environment";
export { Logger } from "./env/logger";
export type { LogLevel } from "./env/logger";
export { Tracker, artifactsDirOf } from "./tracking/tracker";
export type { TrackerClass } from "./tracking/tracker";
export { TrackerManager, customPairs, flattenMetricRecord } from "./tracking/tracker-manager";
export type * from "./tracking/types";
export { registerBuiltins } from "./builtins/register-builtins";
export { Pipeline, StopTraining, RunAborted } from "./pipeline/pipeline";
export type { MetricDict } from "./pipeline/pipeline";
export { Callback } from "./pipeline/callback";
export { EarlyStopping, readMetric } from "./callbacks/early-stopping";
export { CheckpointCallback } from "./callbacks/checkpoint";
export { MedianStop, median } from "./callbacks/median-stop";
export type { CheckpointHook } from "./callbacks/checkpoint";
export { MetricsTracker } from "./callbacks/metrics-tracker";
export { LogTracker } from "./tracking/log-tracker";
export { EventsTracker } from "./events/events-tracker";
export { EventChannel } from "./events/channel";
export { Experiment, ConfigValidationError, validateConfigDir } from "./experiment/experiment";
export type { ExperimentOptions, ExperimentResult } from "./experiment/experiment";
export { Trial } from "./experiment/trial";
export type { TrialRunResult } from "./experiment/trial";
export { readConfigTexts, parseConfigTexts } from "./config/load";
export { loadImports, installTypeScriptHook } from "./experiment/imports";
export { DBTracker } from "./tracking/db/db-tracker";
export { TensorBoardTracker } from "./tracking/plugins/tensorboard/tensorboard-tracker";
export { MLflowTracker } from "./tracking/plugins/mlflow/mlflow-tracker";
export { PerformanceTracker } from "./tracking/plugins/performance/performance-tracker";
export { ResultsStore, ResultsNotFoundError, recoverStale } from "./results/store";
export { openResults, type ResultsReader } from "./results/open";
export { PythonOriginalStore } from "./results/python-original";
export type { TrackOptions } from "./tracking/tracker-manager";

// Built-in trackers and callbacks are known as soon as the runtime is imported (as in the
// original, where importing the package registers them), not only once an Experiment exists.
import { registerBuiltins as registerBuiltinsOnImport } from "./builtins/register-builtins";
registerBuiltinsOnImport();
