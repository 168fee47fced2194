#!/usr/bin/env node
// The one build of Experiment Manager (`npm run build` runs it with no names: everything).
//   node build.mjs [runtime] [server] [client] [media] [--minify] [--no-runtime] [--watch]
//   runtime  runtime/dist: the library and the `expman` CLI (tsc -p runtime/tsconfig.build.json for
//            declarations, then one esbuild bundle over runtime/dist/index.js)
//   server   server/out/server.js: the language server, one esbuild bundle
//   client   client/out/extension.js: the extension, one esbuild bundle (vscode external), and
//            client/out/runtime/node_modules: the runtime fallback the extension starts with the
//            user's Node when the workspace has no @expman/runtime (needs runtime/dist; skipped
//            with --no-runtime), and client/out/expman-runtime-<version>.tgz, the runtime as an
//            npm tarball that "Install Runtime in Workspace" installs (client/pack-runtime.mjs)
//   media    media/dist/metrics.{js,css}: the metrics webview (minified; --watch rebuilds on change)
// --minify minifies the two extension-host bundles. The server and client bundles take the
// runtime's native-free entry (`@expman/runtime/contracts`) from runtime/src, and one check,
// assertNativeFree, fails the build if either would load better-sqlite3 or another native
// module: the extension host's Electron Node cannot load modules built for the user's Node.
// Importable: the tests build into their own folders with these functions.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { packRuntime } from "./client/pack-runtime.mjs";

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(root, "package.json"));

export const TARGETS = ["runtime", "server", "client", "media"];
export const serverOutfile = join(root, "server", "out", "server.js");
export const extensionOutfile = join(root, "client", "out", "extension.js");
export const runtimeModules = join(root, "client", "out", "runtime", "node_modules");
export const webviewDist = join(root, "media", "dist");

/** True when bundled code would load a native module: better-sqlite3, bindings, a `.node` file, dlopen. */
export function referencesNative(code) {
  return (
    code.includes("better-sqlite3") ||
    /require\(\s*["'][^"']*\.node["']\s*\)|require\(\s*["']bindings["']\s*\)|process\.dlopen/.test(code)
  );
}

/** Fails when the bundle at `file` references a native module (the one check of both host bundles). */
export function assertNativeFree(file, what) {
  if (referencesNative(fs.readFileSync(file, "utf8"))) {
    throw new Error(`${file} references better-sqlite3 or a native .node module; ${what} must stay native-free.`);
  }
}

/** The runtime's single-file bundle: what `require("@expman/runtime")` and the `expman` CLI load. */
export const runtimeBundle = join(root, "runtime", "dist", "index.js");

/**
 * runtime/dist: tsc writes the declarations and the per-file modules the native-free subpath
 * entry (`@expman/runtime/contracts`) points at; esbuild then bundles the library and the CLI
 * into one file over tsc's dist/index.js, so that whoever requires the package or that path
 * gets the same single copy (two copies in one process would register the built-in trackers
 * twice over, and `instanceof` between them fails). Why one file: every `expman` process (each parallel worker, Slurm
 * task, per-file reader, `serve`) starts by loading the runtime, and resolving and reading ~150
 * small modules (yaml alone is 72) took about twice as long as parsing one bundle.
 */
export async function buildRuntime() {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", join(root, "runtime", "tsconfig.build.json")],
    { stdio: "inherit" },
  );
  await esbuild.build({
    entryPoints: [join(root, "runtime", "src", "package-entry.ts")],
    outfile: runtimeBundle,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Native (better-sqlite3), esbuild's platform binary and pg (loaded by path in the
    // PostgreSQL store's worker thread) stay real packages beside the bundle.
    external: ["better-sqlite3", "esbuild", "pg", "pg-native"],
    sourcemap: true,
    logLevel: "warning",
  });
  return join(root, "runtime", "dist");
}

/** One Node bundle for the extension host (CommonJS, node20), native-free. */
async function hostBundle(entry, outfile, what, { minify = false, external = [] } = {}) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external,
    sourcemap: true,
    minify,
    logLevel: "warning",
    alias: {
      "@expman/runtime/contracts": join(root, "runtime", "src", "contracts.ts"),
    },
  });
  assertNativeFree(outfile, what);
  return outfile;
}

export function buildServer({ minify = false, outfile = serverOutfile } = {}) {
  // The validation worker (a worker thread of the server) is its own bundle beside it.
  return hostBundle(
    join(root, "server", "src", "validation-worker.ts"),
    join(dirname(outfile), "validation-worker.js"),
    "the language server's validation worker",
    { minify },
  ).then(() => hostBundle(join(root, "server", "src", "server.ts"), outfile, "the language server", { minify }));
}

export function buildExtension({ minify = false, outfile = extensionOutfile } = {}) {
  return hostBundle(join(root, "client", "src", "extension.ts"), outfile, "the extension", {
    minify,
    external: ["vscode"],
  });
}

/** esbuild options of the webview bundle, for another output folder too (the webview harness). */
export function webviewBuildOptions(outdir = webviewDist, { minify = true } = {}) {
  return {
    entryPoints: { metrics: join(root, "media", "src", "main.ts") },
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome120"],
    minify: minify && !process.env.EXPMAN_NO_MINIFY,
    sourcemap: true,
    logLevel: "warning",
    legalComments: "linked",
  };
}

export async function buildWebview({ watch = false } = {}) {
  const options = { ...webviewBuildOptions(webviewDist, { minify: !watch }), logLevel: watch ? "info" : "warning" };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
  return webviewDist;
}

function copy(from, to, filter = () => true) {
  fs.cpSync(from, to, { recursive: true, dereference: true, filter: (src) => filter(src) });
}

/** Copies a package folder (resolved from the repo root) into the staged node_modules. */
function stagePackage(name, pick) {
  const dir = dirname(require.resolve(`${name}/package.json`));
  const dest = join(runtimeModules, name);
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of pick) {
    const src = join(dir, entry);
    if (fs.existsSync(src))
      copy(src, join(dest, entry), (p) => !/^[\\/](test|docs)([\\/]|$)/.test(p.slice(dir.length)));
  }
  return dir;
}

/**
 * Stages the runtime fallback: runtime/dist + bin and the modules it needs at run time
 * (better-sqlite3 built for the user's Node, yaml, esbuild and its platform binary).
 */
export function stageRuntime() {
  const runtimeDir = join(root, "runtime");
  if (!fs.existsSync(join(runtimeDir, "dist", "index.js")))
    throw new Error("runtime/dist is missing: run `node build.mjs runtime` first");
  fs.rmSync(join(root, "client", "out", "runtime"), { recursive: true, force: true });
  const dest = join(runtimeModules, "@expman", "runtime");
  fs.mkdirSync(dest, { recursive: true });
  copy(join(runtimeDir, "bin"), join(dest, "bin"));
  copy(join(runtimeDir, "dist"), join(dest, "dist"), (p) => !p.endsWith(".map"));
  fs.copyFileSync(join(runtimeDir, "package.json"), join(dest, "package.json"));
  stagePackage("yaml", ["package.json", "dist", "util.js", "LICENSE"]);
  stagePackage("bindings", ["package.json", "bindings.js", "LICENSE.md"]);
  stagePackage("file-uri-to-path", ["package.json", "index.js", "LICENSE"]);
  const sqlite = stagePackage("better-sqlite3", ["package.json", "lib", "LICENSE"]);
  const addon = join(sqlite, "build", "Release", "better_sqlite3.node");
  if (!fs.existsSync(addon))
    throw new Error(`better-sqlite3 is not built (${addon} missing): run npm rebuild better-sqlite3`);
  fs.mkdirSync(join(runtimeModules, "better-sqlite3", "build", "Release"), { recursive: true });
  fs.copyFileSync(addon, join(runtimeModules, "better-sqlite3", "build", "Release", "better_sqlite3.node"));
  // esbuild's JS API (the runtime transpiles TypeScript imports with it) and its platform binary.
  stagePackage("esbuild", ["package.json", "lib", "LICENSE.md"]);
  const platforms = join(root, "node_modules", "@esbuild");
  for (const p of fs.existsSync(platforms) ? fs.readdirSync(platforms) : [])
    copy(join(platforms, p), join(runtimeModules, "@esbuild", p));
  return runtimeModules;
}

/** Builds the named targets (all when none), in dependency order. */
export async function build(targets = TARGETS, { minify = false, runtimeFallback = true, watch = false } = {}) {
  const unknown = targets.filter((t) => !TARGETS.includes(t));
  if (unknown.length > 0) throw new Error(`unknown build target ${unknown.join(", ")}: use ${TARGETS.join(", ")}`);
  const wanted = TARGETS.filter((t) => targets.includes(t));
  for (const target of wanted) {
    const t0 = Date.now();
    let built;
    if (target === "runtime") built = await buildRuntime();
    else if (target === "server") built = await buildServer({ minify });
    else if (target === "client") {
      built = await buildExtension({ minify });
      if (runtimeFallback) built += ` + ${stageRuntime()} + ${packRuntime(join(root, "client", "out"))}`;
    } else built = await buildWebview({ watch });
    console.log(`built ${target}: ${built} (${Date.now() - t0} ms)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith("--"));
  try {
    await build(names.length > 0 ? names : TARGETS, {
      minify: args.includes("--minify"),
      runtimeFallback: !args.includes("--no-runtime"),
      watch: args.includes("--watch"),
    });
  } catch (err) {
    console.error(err.message ?? err);
    process.exit(1);
  }
}
