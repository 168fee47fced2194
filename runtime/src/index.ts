/** The Experiment Manager runtime: everything a pipeline author imports. */
export * from "./describe";
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
