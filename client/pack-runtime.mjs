#!/usr/bin/env node
// Packs runtime/ as the npm tarball users install into their projects (`npm pack`: exactly the
// files of runtime/package.json's `files`, dependencies fetched from the registry at install).
// The extension ships it (client/out/) and `npm run package` puts a copy beside the .vsix.
//   node client/pack-runtime.mjs <dest-dir>...
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = join(here, "..", "runtime");

/** Packs runtime/ into `dest` (replacing older tarballs there); returns the tarball's path. */
export function packRuntime(dest) {
  if (!fs.existsSync(join(runtimeDir, "dist", "index.js")))
    throw new Error("runtime/dist is missing: run `npm run build` first");
  fs.mkdirSync(dest, { recursive: true });
  for (const old of fs.readdirSync(dest).filter((f) => /^expman-runtime-.*\.tgz$/.test(f))) fs.rmSync(join(dest, old));
  // Under `npm run`, the npm that runs us (npm_execpath); else npm on PATH. --ignore-scripts: dist is built.
  const args = ["pack", runtimeDir, "--json", "--ignore-scripts", "--pack-destination", dest];
  const viaNpmRun = process.env.npm_execpath?.endsWith(".js");
  const out = viaNpmRun
    ? execFileSync(process.execPath, [process.env.npm_execpath, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      })
    : execFileSync("npm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [info] = JSON.parse(out);
  return join(dest, info.filename);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const dest of process.argv.slice(2)) console.log(`packed ${packRuntime(resolve(dest))}`);
}
