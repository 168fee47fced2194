/**
 * Installs the runtime tarball shipped with the extension into a project: the tarball is
 * copied to `<project>/.expman/` (so package.json points at a file inside the project, which
 * survives extension updates and can be committed for teammates) and installed with the npm
 * that comes with the user's Node, without a shell. Its dependencies (the SQLite driver, yaml,
 * esbuild) come from the registry as usual; when that fails the result says why in plain
 * words (offline, registry unreachable). No `vscode`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveExecutable } from "./executable";

export interface InstallResult {
  ok: boolean;
  /** The tarball inside the project that package.json now names. */
  tarball?: string;
  /** One sentence for the user: what happened, and what to do when it failed. */
  message: string;
  exitCode?: number | null;
  output: string;
}

/** The runtime tarball in a folder (the extension's `client/out`), newest version first. */
export function findRuntimeTarball(dir: string): string | undefined {
  try {
    const names = fs.readdirSync(dir).filter((f) => /^expman-runtime-.+\.tgz$/.test(f));
    names.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    return names[0] ? path.join(dir, names[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How to start npm with `node` (an absolute path): its own npm-cli.js next to it (Node's
 * layouts on POSIX and Windows), else an npm executable on PATH (absolute entries only).
 */
export function npmCommand(node: string): { file: string; args: string[] } | undefined {
  const dir = path.dirname(node);
  for (const cli of [
    path.join(dir, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    path.join(dir, "node_modules", "npm", "bin", "npm-cli.js"),
  ]) {
    if (fs.existsSync(cli)) return { file: node, args: [cli] };
  }
  const npm = resolveExecutable("npm");
  return "path" in npm && !/\.(cmd|bat)$/i.test(npm.path) ? { file: npm.path, args: [] } : undefined;
}

const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)\b/;

/** Plain words for a failed `npm install` from its output. */
export function explainInstallFailure(output: string, exitCode: number | null): string {
  if (OFFLINE.test(output)) {
    const code = OFFLINE.exec(output)![1];
    return `npm could not download the runtime's dependencies (its SQLite driver, yaml, esbuild) from the registry (${code}): are you offline, or behind a proxy npm does not know? Connect and run Install Runtime in Workspace again.`;
  }
  const lines = output.split(/\r?\n/).filter((l) => /npm (error|ERR!)/.test(l) && !/A complete log/.test(l));
  const why = lines
    .slice(0, 3)
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, ""))
    .join(" ")
    .trim();
  return `npm install failed (exit ${exitCode})${why ? `: ${why}` : ""}. See the output channel for npm's full output.`;
}

export interface InstallOptions {
  node: string;
  project: string;
  tarball: string;
  /** Extra npm arguments (tests: `--offline`, `--ignore-scripts`, `--cache`). */
  npmArgs?: string[];
  env?: NodeJS.ProcessEnv;
  onOutput?(text: string): void;
  timeoutMs?: number;
}

export function installRuntime(o: InstallOptions): Promise<InstallResult> {
  const npm = npmCommand(o.node);
  if (!npm)
    return Promise.resolve({
      ok: false,
      message: `npm was not found next to ${o.node} or on PATH; install Node.js with npm, then try again.`,
      output: "",
    });
  const vendorDir = path.join(o.project, ".expman");
  fs.mkdirSync(vendorDir, { recursive: true });
  const target = path.join(vendorDir, path.basename(o.tarball));
  fs.copyFileSync(o.tarball, target);
  const spec = `file:${path.relative(o.project, target).split(path.sep).join("/")}`;
  const args = [...npm.args, "install", "--save", spec, "--no-audit", "--no-fund", ...(o.npmArgs ?? [])];
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(npm.file, args, {
      cwd: o.project,
      env: { ...(o.env ?? process.env), npm_config_update_notifier: "false" },
      shell: false,
      windowsHide: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 10 * 60_000);
    const take = (d: Buffer) => {
      const text = d.toString();
      output = (output + text).slice(-200_000);
      o.onOutput?.(text);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `npm could not be started: ${e.message}`, output });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const installed = fs.existsSync(path.join(o.project, "node_modules", "@expman", "runtime", "bin", "expman.js"));
      if (code === 0 && installed) {
        resolve({
          ok: true,
          tarball: target,
          exitCode: code,
          output,
          message: `Installed @expman/runtime from ${path.relative(o.project, target)} (package.json: "${spec}"). Commit .expman/ so teammates get the same runtime.`,
        });
      } else {
        resolve({ ok: false, tarball: target, exitCode: code, output, message: explainInstallFailure(output, code) });
      }
    });
  });
}
