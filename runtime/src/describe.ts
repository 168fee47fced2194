/**
 * The native-free entry point (`@expman/runtime/describe`): enums, option schemas, the
 * built-in catalog, config section keys, name suggestions and the cross-process contracts.
 * The language server and the extension bundle this; it must never import better-sqlite3 or
 * run user code (a test checks the bundles).
 */
export * from "./common/enums";
export * from "./common/non-finite";
export * from "./common/errors";
export * from "./registry/schema";
export { closestNames, editDistance } from "./registry/suggest";
export { unknownTypeMessage } from "./registry/registry";
export { BUILTIN_TYPES, builtinDescription } from "./builtins/catalog";
export * from "./config/sections";
export * from "./events/contract";
export * from "./events/control";
export * from "./version";
export * from "./results/contract";
export * from "./config/validate";
export { deepMergeConfigs, insertValue, multiply, deepClone, isPlainObject } from "./config/merge";
