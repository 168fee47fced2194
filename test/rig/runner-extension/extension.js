// Activates on startup finished. If the rig asked for tests (EXPMAN_TEST_AUTORUN=1 and
// EXPMAN_TEST_RESULTS in the extension host's environment), runs the suites once and writes the results file; the
// outer rig waits for that file. Runs once per results file, so a window reload does not
// run the suites again.
const fs = require("node:fs");
const { runSuites, readOptionsFromEnv } = require("./mocha-runner.js");

function activate() {
  // EXPMAN_TEST_AUTORUN: only the code-server rig wants suites run on activation;
  // test-electron runs them itself through its extensionTestsPath entry.
  if (process.env.EXPMAN_TEST_AUTORUN !== "1") return;
  const options = readOptionsFromEnv(process.env);
  if (!options) return;
  if (fs.existsSync(options.resultsPath)) return;
  // Do not block activation: the workbench keeps starting while the suites run.
  setTimeout(() => {
    runSuites(options).catch((err) => {
      writeCrash(options.resultsPath, err);
    });
  }, options.startDelayMs);
}

function writeCrash(resultsPath, err) {
  const result = {
    ok: false,
    crashed: String((err && err.stack) || err),
    passed: 0,
    failed: 1,
    pending: 0,
    tests: [],
  };
  const tmp = `${resultsPath}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2));
  fs.renameSync(tmp, resultsPath);
}

function deactivate() {}

module.exports = { activate, deactivate };
