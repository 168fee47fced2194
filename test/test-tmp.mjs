#!/usr/bin/env node
// One temp root per test run, so tests cannot fill the developer's disk: the runner makes a fresh
// folder under os.tmpdir(), points TMPDIR of the test processes at it (every mkdtemp(os.tmpdir())
// in a test, and in the CLIs, Python and servers those tests start, lands inside it), and removes
// it when the run ends. A failed run keeps it and prints its path, so its workspaces, databases
// and logs can be read; EXPMAN_KEEP_TEST_TMP=1 keeps it always.
//   as a module: test/run-unit.mjs imports runWithTestTmp
//   as a command: node test/test-tmp.mjs <label> <command> [args...]   (test:slurm, test:realtools)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from "node:fs";
import { constants, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Makes the run's temp root under `base` (the real temp folder, not a parent run's root). */
export function makeTestTmp(label, base = tmpdir()) {
  const dir = mkdtempSync(join(base, `expman-${label}-run-`));
  // tsx keeps its compile cache in os.tmpdir()/tsx-<uid>: link it to the shared one so every run
  // does not recompile the whole tree (the link is removed with the root, the cache is not).
  const cache = `tsx-${userInfo().uid}`;
  try {
    mkdirSync(join(base, cache), { recursive: true });
    symlinkSync(join(base, cache), join(dir, cache));
  } catch {
    // no shared cache: tsx makes its own inside the root
  }
  return dir;
}

/**
 * Ends the run: removes `dir` when the run passed, keeps it (and says where) when it failed or
 * when `keep` is set. Returns what it did.
 */
export function finishTestTmp(dir, { failed, keep = process.env.EXPMAN_KEEP_TEST_TMP === "1", log = console.error }) {
  if (failed || keep) {
    log(`test temp files kept in ${dir}${failed ? " (the run failed)" : " (EXPMAN_KEEP_TEST_TMP=1)"}`);
    return "kept";
  }
  rmSync(dir, { recursive: true, force: true });
  return "removed";
}

/**
 * Runs `cmd args` with TMPDIR set to a fresh temp root and resolves to its exit status (signals
 * become 128+n). Ctrl-C and SIGTERM reach the child (same process group, or forwarded); the root
 * is still finished afterwards.
 */
export function runWithTestTmp(label, cmd, args, options = {}) {
  const dir = makeTestTmp(label, options.base);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      stdio: "inherit",
      env: { ...process.env, ...options.env, TMPDIR: dir, TMP: dir, TEMP: dir },
    });
    const forward = (sig) => () => child.kill(sig);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt).on("SIGTERM", onTerm);
    let finished = false;
    const done = (status) => {
      if (finished) return;
      finished = true;
      process.off("SIGINT", onInt).off("SIGTERM", onTerm);
      finishTestTmp(dir, { failed: status !== 0, keep: options.keep, log: options.log });
      resolve(status);
    };
    child.on("error", (err) => {
      console.error(`cannot start ${cmd}: ${err.message}`);
      done(127);
    });
    child.on("exit", (code, signal) => done(code ?? 128 + (constants.signals[signal] ?? 1)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [label, cmd, ...args] = process.argv.slice(2);
  if (!label || !cmd) {
    console.error("usage: node test/test-tmp.mjs <label> <command> [args...]");
    process.exit(2);
  }
  // no top-level await: the unit test imports this file through tsx as CommonJS
  runWithTestTmp(label, cmd, args).then((status) => process.exit(status));
}
