// Runs mocha suites in the current process (an extension host) and writes a JSON summary.
// Shared by the code-server rig (through extension.js) and by @vscode/test-electron
// (through test/rig/test-electron-entry.js), so both run the same suites the same way.
//
// Environment contract (set by test/rig/run.mjs or test/rig/test-electron.mjs):
//   EXPMAN_TEST_RESULTS   path of the JSON results file to write (required to run at all)
//   EXPMAN_TEST_SUITES    suite files (.js/.cjs), separated by the platform path delimiter
//   EXPMAN_TEST_MOCHA     path of the mocha package to load (default: resolved from cwd)
//   EXPMAN_TEST_TIMEOUT   per-test timeout in ms (default 20000)
//   EXPMAN_TEST_GREP      optional mocha grep
const fs = require("node:fs");
const path = require("node:path");

function readOptionsFromEnv(env) {
  if (!env.EXPMAN_TEST_RESULTS) return undefined;
  const files = (env.EXPMAN_TEST_SUITES || "").split(path.delimiter).filter(Boolean);
  return {
    resultsPath: env.EXPMAN_TEST_RESULTS,
    files,
    mochaPath: env.EXPMAN_TEST_MOCHA || undefined,
    timeoutMs: Number(env.EXPMAN_TEST_TIMEOUT || 20000),
    grep: env.EXPMAN_TEST_GREP || undefined,
    startDelayMs: Number(env.EXPMAN_TEST_START_DELAY || 0),
  };
}

function loadMocha(mochaPath) {
  const resolved = mochaPath || require.resolve("mocha", { paths: [process.cwd()] });
  const mod = require(resolved);
  // mocha 12 is an ES module; require(esm) hands back its namespace.
  return mod.default || mod;
}

function errorInfo(err) {
  if (!err) return undefined;
  return {
    message: String(err.message || err),
    stack: err.stack ? String(err.stack) : undefined,
    expected: err.expected !== undefined ? safeString(err.expected) : undefined,
    actual: err.actual !== undefined ? safeString(err.actual) : undefined,
  };
}

function safeString(v) {
  try {
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/**
 * Runs the suites and writes the results file (atomically, via rename, so the waiting rig
 * never reads half a file). Resolves to the summary; never rejects for failing tests.
 */
async function runSuites(options) {
  const started = Date.now();
  const Mocha = loadMocha(options.mochaPath);
  const mocha = new Mocha({ ui: "bdd", timeout: options.timeoutMs, color: false, reporter: "dot" });
  if (options.grep) mocha.grep(options.grep);
  for (const f of options.files) mocha.addFile(path.resolve(f));
  const tests = [];
  let loadError;
  try {
    await mocha.loadFilesAsync();
  } catch (err) {
    loadError = err;
  }
  if (!loadError) {
    await new Promise((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on("pass", (t) =>
        tests.push({ title: t.fullTitle(), file: t.file, state: "passed", durationMs: t.duration }),
      );
      runner.on("fail", (t, err) =>
        tests.push({
          title: t.fullTitle(),
          file: t.file,
          state: "failed",
          durationMs: t.duration,
          error: errorInfo(err),
        }),
      );
      runner.on("pending", (t) => tests.push({ title: t.fullTitle(), file: t.file, state: "pending" }));
    });
  }
  const failed = tests.filter((t) => t.state === "failed").length + (loadError ? 1 : 0);
  const summary = {
    ok: failed === 0 && tests.length > 0,
    passed: tests.filter((t) => t.state === "passed").length,
    failed,
    pending: tests.filter((t) => t.state === "pending").length,
    durationMs: Date.now() - started,
    loadError: loadError ? errorInfo(loadError) : undefined,
    tests,
    host: { node: process.version, pid: process.pid },
  };
  fs.mkdirSync(path.dirname(options.resultsPath), { recursive: true });
  const tmp = `${options.resultsPath}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(summary, null, 2));
  fs.renameSync(tmp, options.resultsPath);
  return summary;
}

module.exports = { runSuites, readOptionsFromEnv };
