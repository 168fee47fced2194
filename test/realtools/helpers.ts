/**
 * Shared pieces of the real-tools checks: the venv's Python (from setup-venv.sh), the fixture
 * experiment run through the real `expman run`, the truth read back from our SQLite store,
 * servers started as child processes (never through a shell) and Chromium screenshots.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../chromium.mjs";

export const REPO = path.resolve(__dirname, "..", "..");
export const ARTIFACTS = path.join(REPO, "test", "artifacts");
const FIXTURE = path.join(__dirname, "fixture");
const EXPMAN = path.join(REPO, "runtime", "bin", "expman.js");

/**
 * The venv's python. test/realtools/run.sh sets EXPMAN_REALTOOLS_PYTHON after setup-venv.sh;
 * run alone, the test runs setup-venv.sh itself (reused when complete, so quick).
 */
export function venvPython(): string {
  const given = process.env.EXPMAN_REALTOOLS_PYTHON;
  if (given) return given;
  const r = spawnSync("bash", [path.join(__dirname, "setup-venv.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error(`test/realtools/setup-venv.sh failed (exit ${r.status}); see its message above.`);
  const python = r.stdout.trim().split("\n").pop()!;
  process.env.EXPMAN_REALTOOLS_PYTHON = python;
  return python;
}

/** Runs a script of this folder with the venv's python; returns its stdout parsed as JSON. */
export function pythonJson<T>(script: string, args: string[], env: Record<string, string> = {}): T {
  const r = spawnSync(venvPython(), [path.join(__dirname, script), ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Runs the fixture experiment (the Iris demo pipeline, 2 trials x 2 repeats, and a trial
 * "broken" whose one run fails at epoch 2; DB + TensorBoard + MLflow trackers) with the real
 * CLI into a fresh workspace. `trackingUri` points MLflowTracker at a server.
 */
export function runFixture(options: { trackingUri?: string } = {}): {
  workspace: string;
  db: string;
  tensorboard: string;
  mlruns: string;
} {
  const root = tempDir("expman-realtools-");
  const config = path.join(root, "config");
  fs.mkdirSync(config);
  for (const f of ["experiment.yaml", "base.yaml", "trials.yaml"])
    fs.copyFileSync(path.join(FIXTURE, f), path.join(config, f));
  let env = fs.readFileSync(path.join(FIXTURE, "env.yaml"), "utf8");
  env = env.replace("../../../examples/pipelines/iris-mlp.ts", path.join(REPO, "examples", "pipelines", "iris-mlp.ts"));
  env = env.replace("./fail-at.ts", path.join(FIXTURE, "fail-at.ts"));
  if (options.trackingUri)
    env = env.replace(
      "    name: realtools-iris\n",
      `    name: realtools-iris\n    tracking_uri: ${options.trackingUri}\n`,
    );
  fs.writeFileSync(path.join(config, "env.yaml"), env);
  const workspace = path.join(root, "ws");
  const r = spawnSync(process.execPath, [EXPMAN, "run", config, "--workspace", workspace], {
    encoding: "utf8",
    timeout: 180_000,
  });
  // Exit 1: a run failed (the "broken" trial, on purpose); anything else is a real failure.
  const statuses = [...r.stdout.matchAll(/^(\w+)\s+(\d+)\s+\d+\s+([A-Z]+)\s/gm)].map((m) => `${m[1]}-${m[2]} ${m[3]}`);
  const want = ["slow_lr-0 SUCCESS", "slow_lr-1 SUCCESS", "fast_lr-0 SUCCESS", "fast_lr-1 SUCCESS", "broken-0 FAILED"];
  if (r.status !== 1 || statuses.join(",") !== want.join(",")) {
    throw new Error(
      `expman run of the fixture exited ${r.status} (expected 1, with only broken-0 FAILED):\n${r.stdout}\n${r.stderr}`,
    );
  }
  const artifacts = path.join(workspace, "artifacts");
  return {
    workspace,
    db: path.join(artifacts, "experiment.db"),
    tensorboard: path.join(artifacts, "tensorboard", "runs"),
    mlruns: path.join(workspace, "mlruns"),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts a server (no shell) and waits until `readyUrl` answers 200. Its output is kept for
 * the failure message. `stop` signals only this child (and its process group, which it leads).
 */
export async function startServer(
  command: string,
  args: string[],
  readyUrl: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<Started> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  const stop = async () => {
    if (exited !== undefined || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }, 10_000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined)
      throw new Error(`${command} ${args.join(" ")} exited ${exited} before it served ${readyUrl}:\n${log}`);
    try {
      const r = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not serve ${readyUrl} within ${timeoutMs / 1000} s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { child, output: () => log, stop };
}

/**
 * Opens `url` in Debian's Chromium, lets `ready` wait for what must be on screen, saves a
 * full-page screenshot to test/artifacts/<name>.png and returns the page's visible text.
 */
export async function screenshot(
  url: string,
  name: string,
  ready: (page: Page) => Promise<void>,
): Promise<{ file: string; text: string }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
    await page.goto(url, { waitUntil: "domcontentloaded" });
    await ready(page);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const text = await page.evaluate(() => document.body.innerText);
    return { file, text };
  } finally {
    await browser.close();
  }
}
