// extensionTestsPath module for @vscode/test-electron: VS Code calls run() inside the
// extension host. It runs the same suites with the same runner as the code-server rig
// (runner-extension/mocha-runner.js), writes the same results JSON, prints a summary,
// and rejects when anything failed so VS Code exits non-zero.
const path = require("node:path");
const { runSuites, readOptionsFromEnv } = require("./runner-extension/mocha-runner.js");

async function run() {
  const options = readOptionsFromEnv(process.env);
  if (!options) throw new Error("EXPMAN_TEST_RESULTS is not set; start through test/rig/test-electron.mjs");
  const summary = await runSuites(options);
  for (const t of summary.tests)
    console.log(`  ${t.state === "passed" ? "ok  " : t.state === "pending" ? "skip" : "FAIL"} ${t.title}`);
  if (summary.loadError) console.log(`  FAIL loading suites: ${summary.loadError.message}`);
  console.log(`${summary.passed} passed, ${summary.failed} failed (results: ${path.resolve(options.resultsPath)})`);
  if (!summary.ok) throw new Error(`${summary.failed} test(s) failed`);
}

module.exports = { run };
