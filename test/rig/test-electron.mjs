#!/usr/bin/env node
// Runs the rig's mocha suites in desktop VS Code through @vscode/test-electron, for machines
// that can download VS Code (this project's CI machine cannot: use run.mjs, code-server).
// Same suites, same in-host runner (runner-extension/mocha-runner.js), same results JSON.
//
//   node test/rig/test-electron.mjs --dev <extension folder> | --vsix <file> \
//     --workspace <dir> --suites <file|dir> [--trust off|untrusted] [--vscode 1.100.3]
//
// --dev loads an unpacked extension (extensionDevelopmentPath; for the real extension that
// is the repo root once it is built); --vsix installs a package with VS Code's CLI first.
// --trust untrusted keeps workspace trust on: runTests() always passes
// --disable-workspace-trust, so that mode spawns VS Code itself with the same arguments.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { collectSuites, prepareSuites } from "./suites.mjs";

const rigDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(rigDir, "..", "..");
const { values: opts } = parseArgs({
  options: {
    dev: { type: "string" },
    vsix: { type: "string", multiple: true, default: [] },
    workspace: { type: "string" },
    suites: { type: "string", multiple: true, default: [] },
    trust: { type: "string", default: "off" },
    vscode: { type: "string", default: "1.100.3" },
    artifacts: { type: "string", default: join(repoRoot, "test", "artifacts") },
    name: { type: "string" },
  },
});
if (opts.suites.length === 0) {
  console.error("give --suites <file|dir>");
  process.exit(2);
}
const name = opts.name ?? `electron-${opts.trust === "off" ? "trusted" : "untrusted"}`;
const t0 = Date.now();
const { runTests, downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath } =
  await import("@vscode/test-electron");

const tmp = mkdtempSync(join(tmpdir(), "expman-rig-electron-"));
const userData = join(tmp, "user-data");
const extensionsDir = join(tmp, "extensions");
const workspace = join(tmp, "workspace");
const resultsPath = join(tmp, "results.json");
let code = 1;
try {
  mkdirSync(join(userData, "User"), { recursive: true });
  const trustSettings =
    opts.trust === "off"
      ? { "security.workspace.trust.enabled": false }
      : { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never" };
  writeFileSync(
    join(userData, "User", "settings.json"),
    JSON.stringify({ "workbench.startupEditor": "none", ...trustSettings }, null, 2),
  );
  if (opts.workspace) cpSync(resolve(opts.workspace), workspace, { recursive: true });
  else mkdirSync(workspace);

  const suiteFiles = await prepareSuites(collectSuites(opts.suites), join(tmp, "suites"), repoRoot);
  const vscodeExecutablePath = await downloadAndUnzipVSCode(opts.vscode);

  if (opts.vsix.length) {
    const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
    const args = [...cliArgs, "--extensions-dir", extensionsDir, "--user-data-dir", userData];
    for (const v of opts.vsix) args.push("--install-extension", resolve(v));
    const r = spawnSync(cli, args, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`installing ${opts.vsix.join(", ")} failed`);
  }

  const extensionTestsEnv = {
    EXPMAN_TEST_RESULTS: resultsPath,
    EXPMAN_TEST_SUITES: suiteFiles.join(delimiter),
    EXPMAN_TEST_MOCHA: join(repoRoot, "node_modules", "mocha", "index.js"),
    EXPMAN_REPO_ROOT: repoRoot,
    EXPMAN_RIG_WORKSPACE: workspace,
  };
  const extensionTestsPath = join(rigDir, "test-electron-entry.js");
  // VS Code needs a development extension to run tests; with only --vsix, use the runner
  // extension, which stays inert here (no EXPMAN_TEST_AUTORUN).
  const extensionDevelopmentPath = opts.dev ? resolve(opts.dev) : join(rigDir, "runner-extension");
  const launchArgs = [workspace, "--user-data-dir", userData, "--extensions-dir", extensionsDir];

  if (opts.trust === "off") {
    code = await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs,
      extensionTestsEnv,
    });
  } else {
    // runTests() would add --disable-workspace-trust; spawn with its other arguments instead.
    const args = [
      ...launchArgs,
      "--no-sandbox",
      "--disable-gpu-sandbox",
      "--disable-updates",
      "--skip-welcome",
      "--skip-release-notes",
      "--no-cached-data",
      `--extensionTestsPath=${extensionTestsPath}`,
      `--extensionDevelopmentPath=${extensionDevelopmentPath}`,
    ];
    const child = spawn(vscodeExecutablePath, args, {
      env: { ...process.env, ...extensionTestsEnv },
      stdio: "inherit",
    });
    code = await new Promise((res) => child.on("exit", (c) => res(c ?? 1)));
  }
  mkdirSync(resolve(opts.artifacts), { recursive: true });
  try {
    writeFileSync(join(resolve(opts.artifacts), `${name}-results.json`), readFileSync(resultsPath));
  } catch {
    console.error("no results file was written");
    code ||= 1;
  }
} catch (err) {
  console.error(`test-electron: ${err?.stack ?? err}`);
  if (/ENOTFOUND|ECONNREFUSED|EAI_AGAIN/.test(String(err))) {
    console.error(
      "test-electron: VS Code could not be downloaded here; run the suites with test/rig/run.mjs (code-server) instead",
    );
  }
  code = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`test-electron [${name}] exit ${code}, total runtime ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(code);
