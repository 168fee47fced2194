#!/usr/bin/env node
// The real-editor rig: runs mocha suites inside a real VS Code extension host (code-server
// 4.100.3, VS Code 1.100.3) and Playwright checks on its workbench in Debian's Chromium.
//
//   node test/rig/run.mjs --vsix ext.vsix --workspace test/rig/fixtures/workspace \
//     --suites test/integration [--trust off|untrusted] [--ui checks.mjs] [--name label]
//
// What it does, in order: installs code-server into the cache (test/rig/install-code-server.sh,
// instant when cached); packages the test-runner extension (test/rig/runner-extension) and any
// --package folders with vsce; bundles .ts suites with esbuild; writes a temp user-data dir
// whose settings disable workspace trust (or keep it on, for --trust untrusted); installs the
// .vsix files with code-server's --install-extension; starts code-server on 127.0.0.1 (free
// port) with EXPMAN_TEST_* variables that the runner extension reads in the extension host;
// opens a copy of the workspace in Chromium; waits for the results JSON; runs the --ui check
// modules; saves screenshots under test/artifacts/; prints a per-test summary and timings;
// kills code-server's process group and the browser; exits 1 if anything failed.
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../chromium.mjs";
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as ui from "./ui.mjs";
import { collectSuites, prepareSuites } from "./suites.mjs";

const rigDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(rigDir, "..", "..");
const t0 = Date.now();
const timings = [];
const since = (t) => ((Date.now() - t) / 1000).toFixed(1);
function timed(label, t) {
  timings.push([label, (Date.now() - t) / 1000]);
}

const USAGE = `usage: node test/rig/run.mjs [options]
  --vsix <file>          extension package to install (repeatable)
  --package <dir>        extension folder to package with vsce and install (repeatable)
  --workspace <dir>      folder to open (copied to a temp dir first)
  --suites <file|dir>    mocha suite files (.js/.cjs/.ts) or folders of *.test.* (repeatable)
  --trust <mode>         off (default: trust disabled, code may run) | untrusted (trust on,
                         folder not trusted: restricted mode)
  --ui <module>          Playwright check module (repeatable), see test/rig/README.md
  --name <label>         names artifacts and the summary (default: the trust mode)
  --grep <pattern>       run only the tests whose full title matches (mocha grep)
  --timeout <seconds>    how long to wait for the suites' results (default 180)
  --artifacts <dir>      where screenshots and logs go (default test/artifacts)
  --code-server <entry>  code-server entry.js (default: installed by install-code-server.sh)
  --keep                 keep the temp dir (user data, logs) for inspection
  --headed               show the browser (needs a display)`;

const { values: opts } = parseArgs({
  options: {
    vsix: { type: "string", multiple: true, default: [] },
    package: { type: "string", multiple: true, default: [] },
    workspace: { type: "string" },
    suites: { type: "string", multiple: true, default: [] },
    trust: { type: "string", default: "off" },
    ui: { type: "string", multiple: true, default: [] },
    name: { type: "string" },
    grep: { type: "string" },
    timeout: { type: "string", default: "180" },
    artifacts: { type: "string", default: join(repoRoot, "test", "artifacts") },
    "code-server": { type: "string" },
    keep: { type: "boolean", default: false },
    headed: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!["off", "untrusted"].includes(opts.trust)) fail(`--trust must be "off" or "untrusted", not "${opts.trust}"`);
if (opts.suites.length === 0 && opts.ui.length === 0) fail("give at least one --suites or --ui");
const name = opts.name ?? (opts.trust === "off" ? "trusted" : "untrusted");
const artifactsDir = resolve(opts.artifacts);
const resultsTimeoutMs = Number(opts.timeout) * 1000;

function fail(msg) {
  console.error(`rig: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

// ---------------------------------------------------------------- cleanup, whatever happens
let serverProc;
let browser;
let tmp;
/** The workbench's console errors and warnings, with their times. */
const browserConsole = [];
async function cleanup() {
  if (browser) {
    const b = browser;
    browser = undefined;
    await b.close().catch(() => {});
  }
  killServer("SIGTERM");
  if (serverProc) {
    const exited = await waitForExit(serverProc, 5000);
    if (!exited) killServer("SIGKILL");
  }
  if (tmp && !opts.keep) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`rig: kept ${tmp}`);
}
function killServer(signal) {
  if (!serverProc || serverProc.exitCode !== null || serverProc.signalCode !== null) return;
  // code-server runs in its own process group (detached), with the extension hosts and
  // language servers it forks; signal the whole group so nothing outlives the rig.
  try {
    process.kill(-serverProc.pid, signal);
  } catch {}
}
function waitForExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => res(false), ms);
    proc.once("exit", () => {
      clearTimeout(timer);
      res(true);
    });
  });
}
process.on("exit", () => killServer("SIGKILL"));
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, async () => {
    console.error(`rig: ${sig}, cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------- helpers
function run(cmd, args, { cwd, env } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function vscePackage(dir, outFile) {
  const vsce = join(repoRoot, "node_modules", ".bin", "vsce");
  run(vsce, ["package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "-o", outFile], {
    cwd: dir,
  });
  return outFile;
}

function userSettings() {
  const common = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "git.enabled": false,
    "npm.autoDetect": "off",
    "typescript.disableAutomaticTypeAcquisition": true,
  };
  if (opts.trust === "off") return { ...common, "security.workspace.trust.enabled": false };
  // Trust on, but no startup modal: the folder simply opens in restricted mode.
  return {
    ...common,
    "security.workspace.trust.enabled": true,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "never",
    "security.workspace.trust.emptyWindow": false,
  };
}

function copyLogs(udDir, destDir) {
  const logs = join(udDir, "logs");
  if (existsSync(logs)) cpSync(logs, join(destDir, "logs"), { recursive: true });
}

// ---------------------------------------------------------------- main
const tests = []; // { title, state, durationMs?, error?, source }
async function main() {
  mkdirSync(artifactsDir, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "expman-rig-"));
  const extDir = join(tmp, "extensions");
  const udDir = join(tmp, "user-data");
  const wsDir = join(tmp, "workspace");
  const resultsPath = join(tmp, "results.json");
  const configPath = join(tmp, "code-server.yaml");
  const serverLogPath = join(tmp, "code-server.log");

  // 1. code-server
  let t = Date.now();
  let entry = opts["code-server"];
  if (!entry) {
    const out = run("bash", [join(rigDir, "install-code-server.sh")]);
    entry = out.trim().split("\n").pop();
  }
  if (!existsSync(entry)) throw new Error(`code-server entry not found: ${entry}`);
  timed("code-server install check", t);

  // 2. packages and suites
  t = Date.now();
  const vsixes = [vscePackage(join(rigDir, "runner-extension"), join(tmp, "expman-test-runner.vsix"))];
  for (const dir of opts.package) vsixes.push(vscePackage(resolve(dir), join(tmp, `${basename(resolve(dir))}.vsix`)));
  for (const v of opts.vsix) {
    if (!existsSync(v)) fail(`vsix not found: ${v}`);
    vsixes.push(resolve(v));
  }
  const suiteFiles = await prepareSuites(collectSuites(opts.suites), join(tmp, "suites"), repoRoot);
  timed("package extensions + suites", t);

  // 3. user data, workspace copy, extensions
  t = Date.now();
  mkdirSync(join(udDir, "User"), { recursive: true });
  writeFileSync(join(udDir, "User", "settings.json"), JSON.stringify(userSettings(), null, 2));
  if (opts.workspace) {
    if (!existsSync(opts.workspace)) fail(`workspace not found: ${opts.workspace}`);
    cpSync(resolve(opts.workspace), wsDir, { recursive: true });
  } else {
    mkdirSync(wsDir);
  }
  // An explicit config file keeps code-server from writing ~/.config/code-server/config.yaml.
  writeFileSync(configPath, "auth: none\ncert: false\n");
  const baseArgs = [entry, "--config", configPath, "--extensions-dir", extDir, "--user-data-dir", udDir];
  run(process.execPath, [...baseArgs, ...vsixes.flatMap((v) => ["--install-extension", v])]);
  timed("install extensions", t);

  // 4. start code-server
  t = Date.now();
  const port = await freePort();
  const env = {
    ...process.env,
    EXPMAN_TEST_AUTORUN: "1",
    EXPMAN_TEST_RESULTS: opts.suites.length ? resultsPath : "",
    EXPMAN_TEST_SUITES: suiteFiles.join(delimiter),
    EXPMAN_TEST_MOCHA: join(repoRoot, "node_modules", "mocha", "index.js"),
    EXPMAN_TEST_TIMEOUT: process.env.EXPMAN_TEST_TIMEOUT ?? "20000",
    EXPMAN_TEST_GREP: opts.grep ?? "",
    EXPMAN_REPO_ROOT: repoRoot,
    EXPMAN_RIG_WORKSPACE: wsDir,
  };
  const logFd = openSync(serverLogPath, "w");
  serverProc = spawn(
    process.execPath,
    [
      ...baseArgs,
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      "--ignore-last-opened",
    ],
    { env, detached: true, stdio: ["ignore", logFd, logFd] },
  );
  closeSync(logFd);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    "code-server /healthz",
    async () => {
      if (serverProc.exitCode !== null) throw new Error(`code-server exited with ${serverProc.exitCode}`);
      try {
        const r = await fetch(`${base}/healthz`);
        return r.ok;
      } catch {
        return false;
      }
    },
    60_000,
  );
  timed("code-server start", t);

  // 5. browser
  t = Date.now();
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: !opts.headed,
    args: CHROMIUM_ARGS,
  });
  // launch() gives each context a fresh profile (Playwright's own temp --user-data-dir).
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  // The workbench reports its own errors (a tree that failed to render, a rejected command) on
  // the console, not as page errors: kept with the logs, they explain a failing UI check.
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning")
      browserConsole.push(`${new Date().toISOString()} [${m.type()}] ${m.text().slice(0, 2000)}`);
  });
  timed("browser launch", t);

  const tPage = Date.now();
  await page.goto(`${base}/?folder=${encodeURIComponent(wsDir)}`, { waitUntil: "domcontentloaded" });
  await ui.waitForWorkbench(page);
  timed("page load to workbench", tPage);

  // 6. suites in the extension host
  if (opts.suites.length) {
    const results = await waitFor(
      "the suites' results (is the runner extension active? see code-server.log and logs/ in the artifacts)",
      () => {
        if (serverProc.exitCode !== null) throw new Error(`code-server exited with ${serverProc.exitCode}`);
        return existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, "utf8")) : undefined;
      },
      resultsTimeoutMs,
    );
    timed("page load to results", tPage);
    writeFileSync(join(artifactsDir, `${name}-results.json`), JSON.stringify(results, null, 2));
    if (results.crashed)
      tests.push({ title: "runner crashed", state: "failed", error: { message: results.crashed }, source: "host" });
    if (results.loadError)
      tests.push({ title: "loading suites", state: "failed", error: results.loadError, source: "host" });
    for (const r of results.tests) tests.push({ ...r, source: "host" });
    if (results.tests.length === 0 && !results.loadError && !results.crashed) {
      tests.push({
        title: "suites ran no tests",
        state: "failed",
        error: { message: `suite files: ${suiteFiles.join(", ")}` },
        source: "host",
      });
    }
  }

  // 7. UI checks in the workbench
  t = Date.now();
  const screenshot = async (label) => {
    const file = join(artifactsDir, `${name}-${label}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  for (const modPath of opts.ui) {
    const mod = await import(pathToFileURL(resolve(modPath)).href);
    const checks = mod.default ?? mod.checks;
    if (!Array.isArray(checks)) throw new Error(`${modPath} must export default an array of { name, run(ctx) }`);
    for (const check of checks) {
      const tc = Date.now();
      try {
        await check.run({ page, ui, screenshot, artifactsDir, workspace: wsDir, name });
        tests.push({ title: `ui: ${check.name}`, state: "passed", durationMs: Date.now() - tc, source: "ui" });
      } catch (err) {
        tests.push({
          title: `ui: ${check.name}`,
          state: "failed",
          durationMs: Date.now() - tc,
          error: { message: String(err?.message ?? err), stack: err?.stack },
          source: "ui",
        });
        await screenshot(`failed-${check.name.replace(/[^\w.-]+/g, "_")}`).catch(() => {});
      }
    }
  }
  if (opts.ui.length) timed("ui checks", t);
  const shot = await screenshot("workbench");
  console.log(`rig: screenshot ${relative(repoRoot, shot)}`);
  if (pageErrors.length) console.log(`rig: ${pageErrors.length} page error(s), first: ${pageErrors[0].slice(0, 300)}`);
}

function printSummary(fatal) {
  console.log(`\nrig [${name}] results:`);
  for (const tc of tests) {
    const mark = tc.state === "passed" ? "ok  " : tc.state === "pending" ? "skip" : "FAIL";
    const dur = tc.durationMs !== undefined ? ` (${tc.durationMs} ms)` : "";
    console.log(`  ${mark} ${tc.title}${dur}`);
    if (tc.state === "failed" && tc.error) {
      // The whole message (a failing UI check puts what the screen held in it), then the
      // first frames of the stack.
      const message = String(tc.error.message ?? "")
        .split("\n")
        .slice(0, 80);
      const frames = String(tc.error.stack ?? "")
        .split("\n")
        .filter((l) => /^\s+at /.test(l))
        .slice(0, 5)
        .map((l) => l.trim());
      const detail = [...message, ...frames].join("\n        ");
      console.log(`        ${detail}`);
    }
  }
  if (fatal) console.log(`  FAIL rig: ${fatal.message ?? fatal}`);
  const passed = tests.filter((x) => x.state === "passed").length;
  const failed = tests.filter((x) => x.state === "failed").length + (fatal ? 1 : 0);
  console.log(`rig [${name}] ${passed} passed, ${failed} failed`);
  console.log("rig timings:");
  for (const [label, s] of timings) console.log(`  ${label.padEnd(30)} ${s.toFixed(1)} s`);
  console.log(`rig [${name}] total runtime: ${since(t0)} s`);
  return failed;
}

let fatal;
try {
  await main();
} catch (err) {
  fatal = err;
}
const failed = printSummary(fatal);
writeFileSync(join(artifactsDir, `${name}-browser-console.log`), browserConsole.join("\n") + "\n");
if (failed && tmp) {
  // Keep what explains a failure: code-server's output and VS Code's logs (extension host).
  const dest = join(artifactsDir, `${name}-logs`);
  mkdirSync(dest, { recursive: true });
  try {
    cpSync(join(tmp, "code-server.log"), join(dest, "code-server.log"));
  } catch {}
  copyLogs(join(tmp, "user-data"), dest);
  console.log(`rig: logs saved in ${relative(repoRoot, dest)}`);
  if (fatal?.stack) console.error(fatal.stack);
}
await cleanup();
process.exit(failed ? 1 : 0);
