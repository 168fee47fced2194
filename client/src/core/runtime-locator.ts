/**
 * Where the runtime CLI and the user's Node are. The runtime is resolved like vscode-eslint
 * resolves eslint: the workspace's own `node_modules/@expman/runtime` first (the user's
 * pipelines import it, so runs must use that copy), else the copy shipped inside the
 * extension. No `vscode` here: the benchmark and the unit tests use it directly.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveExecutable } from "./executable";

export interface RuntimeLocation {
  /** `.../@expman/runtime/bin/expman.js` */
  cli: string;
  /** The package folder (`.../@expman/runtime`). */
  packageDir: string;
  source: "workspace" | "bundled";
  version: string;
  /**
   * For the bundled copy: a folder to put on NODE_PATH so the user's pipeline modules can
   * `import "@expman/runtime"` although their project does not install it.
   */
  nodePath?: string;
  /** Protocol versions it speaks, once checked (`expman version --json`, runtime-version.ts). */
  protocols?: { events: number; control: number; query: number };
}

export class RuntimeNotFoundError extends Error {
  constructor(readonly searched: string[]) {
    super(
      `The Experiment Manager runtime was not found (looked in: ${searched.join(", ")}). Install it in your project with "Experiment Manager: Install Runtime in Workspace" (it installs the runtime tarball shipped with the extension).`,
    );
    this.name = "RuntimeNotFoundError";
  }
}

/** The runtime package folder under `dir` or one of its parents, as Node would resolve it. */
export function findWorkspaceRuntime(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    const candidate = path.join(current, "node_modules", "@expman", "runtime");
    if (fs.existsSync(path.join(candidate, "bin", "expman.js"))) return candidate;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function describe(packageDir: string, source: RuntimeLocation["source"], nodePath?: string): RuntimeLocation {
  let version = "unknown";
  try {
    version =
      (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version?: string }).version ??
      version;
  } catch {
    /* a package without a readable manifest still runs */
  }
  return { cli: path.join(packageDir, "bin", "expman.js"), packageDir, source, version, nodePath };
}

/**
 * `workspaceDirs`: the folders to search from (the config folder first, then workspace roots).
 * `bundledModules`: the extension's `runtime/node_modules` folder. With `allowWorkspace` false
 * (untrusted workspace) the workspace copy is never used: it is the workspace's code.
 */
export function resolveRuntime(
  workspaceDirs: readonly string[],
  bundledModules: string,
  allowWorkspace = true,
): RuntimeLocation {
  const searched: string[] = [];
  if (allowWorkspace) {
    for (const dir of workspaceDirs) {
      const found = findWorkspaceRuntime(dir);
      if (found) return describe(found, "workspace");
      searched.push(path.join(dir, "node_modules"));
    }
  }
  const bundled = path.join(bundledModules, "@expman", "runtime");
  if (fs.existsSync(path.join(bundled, "bin", "expman.js"))) return describe(bundled, "bundled", bundledModules);
  searched.push(bundledModules);
  throw new RuntimeNotFoundError(searched);
}

/** Whether a folder looks like a Node project that could install the runtime itself. */
export function isNodeProject(dir: string): boolean {
  return fs.existsSync(path.join(dir, "package.json"));
}

export class NodeNotFoundError extends Error {
  constructor(
    readonly nodePath: string,
    reason: string,
  ) {
    super(
      `Node.js was not found ('${nodePath}': ${reason}). Experiment Manager runs experiments and reads databases with your Node (>= 20). ` +
        `Install Node.js or set "experimentManager.nodePath" to its executable.`,
    );
    this.name = "NodeNotFoundError";
  }
}

export interface NodeInfo {
  /** Absolute path of the executable: every spawn uses this, never the bare setting. */
  path: string;
  version: string;
}

/**
 * Resolves `nodePath` to an absolute executable (see executable.ts) and runs `<it> --version`;
 * resolves to both, or rejects with NodeNotFoundError.
 */
export function checkNode(nodePath: string, timeoutMs = 10_000): Promise<NodeInfo> {
  return new Promise((resolve, reject) => {
    const resolved = resolveExecutable(nodePath);
    if ("error" in resolved) {
      reject(new NodeNotFoundError(nodePath, resolved.error));
      return;
    }
    const exe = resolved.path;
    let out = "";
    let settled = false;
    const done = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    let child;
    try {
      child = spawn(exe, ["--version"], { stdio: ["ignore", "pipe", "ignore"], shell: false, windowsHide: true });
    } catch (e) {
      reject(new NodeNotFoundError(nodePath, e instanceof Error ? e.message : String(e)));
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      done(() => reject(new NodeNotFoundError(nodePath, `no answer to --version within ${timeoutMs} ms`)));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(() => reject(new NodeNotFoundError(nodePath, e.code === "ENOENT" ? "no such executable" : e.message)));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const version = out.trim();
      if (code === 0 && /^v\d+/.test(version)) done(() => resolve({ path: exe, version }));
      else
        done(() => reject(new NodeNotFoundError(nodePath, `'--version' exited with ${code} and printed '${version}'`)));
    });
  });
}

/** Environment for a child started on a runtime: NODE_PATH gets the bundled modules folder. */
export function runtimeEnv(runtime: RuntimeLocation, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // The extension host may run with ELECTRON_RUN_AS_NODE and friends; the user's Node must not inherit them.
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.NODE_OPTIONS;
  if (runtime.nodePath)
    env.NODE_PATH = env.NODE_PATH ? `${runtime.nodePath}${path.delimiter}${env.NODE_PATH}` : runtime.nodePath;
  return env;
}
