/** The former name of `@expman/runtime/contracts` (./contracts.ts), kept for code written against it. */
export * from "./contracts";
