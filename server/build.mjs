#!/usr/bin/env node
// Bundles the language server into one file, server/out/server.js, with the runtime's
// native-free entry (`@expman/runtime/describe`) taken from runtime/src, not dist. Fails if the
// bundle would load better-sqlite3 or any native `.node` module (the extension host's Electron
// Node cannot load modules built for the user's Node).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const outfile = join(here, "out", "server.js");

export async function buildServer({ minify = false, outfile: target = outfile } = {}) {
  await build({
    entryPoints: [join(here, "src", "server.ts")],
    outfile: target,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: true,
    minify,
    logLevel: "warning",
    alias: { "@expman/runtime/describe": join(here, "..", "runtime", "src", "describe.ts") },
  });
  const code = readFileSync(target, "utf8");
  if (/better-sqlite3|require\([^)]*\.node["']\)/.test(code)) {
    throw new Error(`${target} references better-sqlite3 or a native .node module; the server must stay native-free.`);
  }
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildServer({ minify: process.argv.includes("--minify") }).then(
    (file) => console.log(`built ${file}`),
    (err) => {
      console.error(err.message ?? err);
      process.exit(1);
    },
  );
}
