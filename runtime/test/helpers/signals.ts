import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { EXPMAN, REPO, spawnExpman, toyConfig } from "./cli";

/**
 * Helpers for the Ctrl-C tests (cli-run.test.ts, cli-signals.stress.test.ts): two SIGINTs at
 * given spacings, a watch on whether the process still catches SIGINT until it is gone, and a
 * start-up whose bundle load is slowed down to widen the moment before the CLI's own handler.
 */

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function exitOf(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
}

export async function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  let buffer = "";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got:\n${buffer}`)), timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      if (pattern.test(buffer)) {
        clearTimeout(timer);
        resolve(buffer);
      }
    });
  });
}

/** Whether Linux says the process catches SIGINT (`SigCgt` in /proc/PID/status); undefined once it is gone or a zombie. */
export function catchesSigint(pid: number): boolean | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  if (/^State:\s+[ZX]/m.test(status)) return undefined;
  const mask = /^SigCgt:\s+([0-9a-f]+)/m.exec(status);
  return mask ? (BigInt(`0x${mask[1]}`) & 2n) !== 0n : undefined;
}

export interface DoubleCtrlC extends Ended {
  statuses: string[];
  experiment: string | undefined;
  epochs: number;
  integrity: string;
  /** Milliseconds after the first SIGINT at which the process no longer caught SIGINT while still alive. */
  uncaughtAtMs?: number;
}

/**
 * A toy experiment (three runs) interrupted twice, `gapMs` apart, once it is in epoch 5. With
 * `watch`, the process's SIGINT disposition is polled (busy, /proc) from the first SIGINT until
 * it is gone, and the second SIGINT is sent at `gapMs` or the moment SIGINT stops being caught,
 * whichever comes first: the moment that used to end the process by the signal.
 */
export async function doubleCtrlC(gapMs: number, options: { watch?: boolean } = {}): Promise<DoubleCtrlC> {
  const { dir, db: dbFile } = toyConfig({ epochs: 1000, sleepMs: 5 });
  const child = spawnExpman(["run", dir]);
  const exited = exitOf(child);
  await waitForLine(child.stderr!, /epoch 5\//);
  child.kill("SIGINT");
  const t0 = Date.now();
  let uncaughtAtMs: number | undefined;
  if (options.watch && fs.existsSync("/proc/self/status")) {
    let second = false;
    for (;;) {
      const caught = catchesSigint(child.pid!);
      if (caught === undefined) break;
      if (!caught) uncaughtAtMs ??= Date.now() - t0;
      if (!second && (!caught || Date.now() - t0 >= gapMs)) {
        second = true;
        child.kill("SIGINT");
      }
    }
  } else {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    child.kill("SIGINT");
  }
  const ended = await exited;
  const conn = new Database(dbFile, { readonly: true });
  try {
    return {
      ...ended,
      uncaughtAtMs,
      integrity: conn.pragma("integrity_check", { simple: true }) as string,
      statuses: (conn.prepare("SELECT status FROM trial_run ORDER BY id").all() as { status: string }[]).map(
        (r) => r.status,
      ),
      experiment: (conn.prepare("SELECT status FROM experiment").get() as { status: string } | undefined)?.status,
      epochs: (conn.prepare("SELECT COUNT(*) AS n FROM epoch").get() as { n: number }).n,
    };
  } finally {
    conn.close();
  }
}

/** A preload that holds the bin script's `require` of the runtime bundle for EXPMAN_TEST_HOLD_BUNDLE_MS, after saying so on stderr. */
const SLOW_BUNDLE = path.join(__dirname, "..", "fixtures", "slow-bundle-load.cjs");

/**
 * `expman ARGS` whose loading of the runtime bundle is held for `holdMs` (a test preload): the
 * promise resolves with the child once the hold has begun, i.e. the bin script's first lines
 * have run and the command's own code has not.
 */
export async function startWithSlowBundle(
  args: string[],
  holdMs: number,
): Promise<{ child: ChildProcess; exited: Promise<Ended> }> {
  const child = spawn(process.execPath, ["--require", SLOW_BUNDLE, EXPMAN, ...args], {
    cwd: REPO,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, EXPMAN_TEST_HOLD_BUNDLE_MS: String(holdMs) },
  });
  const exited = exitOf(child);
  await waitForLine(child.stderr!, /holding the runtime bundle/);
  return { child, exited };
}
