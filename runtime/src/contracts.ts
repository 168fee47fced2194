/**
 * `@expman/runtime/contracts`: what the runtime agrees on with the editor's processes. The
 * vocabulary (enums, statuses, scopes, NaN/Infinity), the config language (option schemas, the
 * built-in catalog, section keys, the validator, merge rules, name suggestions) and the wire
 * contracts (run events, results, versions), and the static registration index (node:fs only).
 * The language server and the extension bundle
 * this, so it must never import better-sqlite3 or run user code (tests check the bundles).
 */
export * from "./common/enums";
export * from "./common/non-finite";
export * from "./common/errors";
export * from "./registry/schema";
export { closestNames, editDistance } from "./registry/suggest";
export { unknownTypeMessage } from "./registry/registry";
export * from "./registry/source-index";
export * from "./registry/source-scanner";
export { BUILTIN_TYPES, builtinDescription } from "./builtins/catalog";
export * from "./config/sections";
export * from "./events/contract";
export * from "./events/control";
export * from "./version";
export * from "./results/contract";
export * from "./config/validate";
export {
  parseLocated,
  sourceFile,
  type LMap,
  type LSeq,
  type LScalar,
  type LValue,
  type ParsedText,
} from "./config/located";
export { readPlainBlock } from "./config/plain-yaml";
export * from "./config/sweep";
export {
  sweepSummaries,
  settingEntries,
  settingPaths,
  type SettingPath,
  type SweepSummary,
} from "./config/sweep-rules";
export { deepMergeConfigs, insertValue, multiply, deepClone, isPlainObject } from "./config/merge";
