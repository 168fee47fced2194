#!/usr/bin/env node
// Builds what the extension ships:
//  1. client/out/extension.js: the extension, bundled by esbuild (vscode external), with the
//     runtime's native-free entry (`@expman/runtime/describe`) taken from runtime/src. Fails if
//     the bundle would load better-sqlite3 or any native `.node` module.
//  2. client/out/runtime/node_modules: the runtime fallback (runtime/dist + bin and the modules
//     it needs at run time: better-sqlite3 built for the user's Node, yaml, esbuild and its
//     platform binary). Used when the workspace does not install @expman/runtime itself.
//   node client/build.mjs [--minify] [--no-runtime]
// Needs `npm run build` (runtime/dist) first for step 2.
import { build } from "esbuild";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
export const outfile = join(here, "out", "extension.js");
export const runtimeModules = join(here, "out", "runtime", "node_modules");

/** True when bundled code would load a native module (the extension host cannot). */
export function referencesNative(code) {
  return /require\(["'][^"']*better-sqlite3[^"']*["']\)|require\([^)]*\.node["']\)|["']bindings["']\)/.test(code);
}

export async function buildExtension({ minify = false, outfile: target = outfile } = {}) {
  await build({
    entryPoints: [join(here, "src", "extension.ts")],
    outfile: target,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["vscode"],
    sourcemap: true,
    minify,
    logLevel: "warning",
    alias: { "@expman/runtime/describe": join(root, "runtime", "src", "describe.ts") },
  });
  const code = fs.readFileSync(target, "utf8");
  if (referencesNative(code) || code.includes("better-sqlite3")) {
    throw new Error(`${target} references better-sqlite3 or a native .node module; the extension host must stay native-free.`);
  }
  return target;
}

function copy(from, to, filter = () => true) {
  fs.cpSync(from, to, { recursive: true, dereference: true, filter: (src) => filter(src) });
}

/** Copies a package folder (resolved from the repo root) into the staged node_modules. */
function stagePackage(name, pick) {
  const require = createRequire(join(root, "package.json"));
  const dir = dirname(require.resolve(`${name}/package.json`));
  const dest = join(runtimeModules, name);
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of pick) {
    const src = join(dir, entry);
    if (fs.existsSync(src)) copy(src, join(dest, entry), (p) => !/^[\\/](test|docs)([\\/]|$)/.test(p.slice(dir.length)));
  }
  return dir;
}

export function stageRuntime() {
  const runtimeDir = join(root, "runtime");
  if (!fs.existsSync(join(runtimeDir, "dist", "index.js"))) throw new Error("runtime/dist is missing: run `npm run build` first");
  fs.rmSync(join(here, "out", "runtime"), { recursive: true, force: true });
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
  if (!fs.existsSync(addon)) throw new Error(`better-sqlite3 is not built (${addon} missing): run npm rebuild better-sqlite3`);
  fs.mkdirSync(join(runtimeModules, "better-sqlite3", "build", "Release"), { recursive: true });
  fs.copyFileSync(addon, join(runtimeModules, "better-sqlite3", "build", "Release", "better_sqlite3.node"));
  // esbuild's JS API (the runtime transpiles TypeScript imports with it) and its platform binary.
  stagePackage("esbuild", ["package.json", "lib", "LICENSE.md"]);
  const platforms = join(root, "node_modules", "@esbuild");
  for (const p of fs.existsSync(platforms) ? fs.readdirSync(platforms) : []) copy(join(platforms, p), join(runtimeModules, "@esbuild", p));
  return runtimeModules;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const file = await buildExtension({ minify: process.argv.includes("--minify") });
    console.log(`built ${file}`);
    if (!process.argv.includes("--no-runtime")) console.log(`staged runtime fallback in ${stageRuntime()}`);
  } catch (err) {
    console.error(err.message ?? err);
    process.exit(1);
  }
}
