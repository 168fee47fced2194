// What `require("@expman/runtime")` and `bin/expman.js` load: the public API (./index) and the
// CLI's entry, bundled into one file (runtime/dist/index.js, see build.mjs) so that a user's
// pipeline and the CLI that runs it share one copy of the runtime in one process.
// `runCli` is not in the package's types (dist/index.d.ts): it is the bin script's, not the API's.
export * from "./index";
export { main as runCli } from "./cli/main";
