import { getRegistry } from "../registry/registry";
import type { RegistrableClass } from "../registry/registry";
import { BUILTIN_TYPES } from "./catalog";

/**
 * Where each built-in lives. Modules load on first use: validating a config or listing the
 * registry never pulls in better-sqlite3 or the protobuf encoder.
 */
const MODULES: Record<string, () => RegistrableClass> = {
  DBTracker: () => require("../tracking/db/db-tracker").DBTracker,
  LogTracker: () => require("../tracking/log-tracker").LogTracker,
  TensorBoardTracker: () => require("../tracking/plugins/tensorboard/tensorboard-tracker").TensorBoardTracker,
  MLflowTracker: () => require("../tracking/plugins/mlflow/mlflow-tracker").MLflowTracker,
  PerformanceTracker: () => require("../tracking/plugins/performance/performance-tracker").PerformanceTracker,
  EarlyStopping: () => require("../callbacks/early-stopping").EarlyStopping,
  MedianStop: () => require("../callbacks/median-stop").MedianStop,
  CheckpointCallback: () => require("../callbacks/checkpoint").CheckpointCallback,
  MetricsTracker: () => require("../callbacks/metrics-tracker").MetricsTracker,
};

let done = false;

export function registerBuiltins(): void {
  if (done) return;
  done = true;
  const registry = getRegistry();
  for (const description of BUILTIN_TYPES) {
    const load = MODULES[description.name];
    if (!load) throw new Error(`Built-in ${description.name} has no module`);
    registry.addLazyBuiltin(description, () => {
      const cls = load();
      if (typeof cls !== "function") throw new Error(`Built-in ${description.name} is not exported by its module`);
      return cls;
    });
  }
}
