#!/usr/bin/env node
// Bundles the metrics webview: media/src/main.ts (+ uPlot and the message contract) into
// media/dist/metrics.js and media/dist/metrics.css. No CDN, no network at run time.
//   node media/build.mjs            one build (minified, with sourcemaps)
//   node media/build.mjs --watch    rebuild on change
// Importable: webviewBuildOptions(outdir) gives the same options for another output folder.
import * as esbuild from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
export const distDir = join(here, "dist");

export function webviewBuildOptions(outdir = distDir, { minify = true } = {}) {
  return {
    entryPoints: { metrics: join(here, "src", "main.ts") },
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const watch = process.argv.includes("--watch");
  const options = { ...webviewBuildOptions(distDir, { minify: !watch }), logLevel: "info" };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
