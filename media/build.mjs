#!/usr/bin/env node
// Bundles the metrics webview: media/src/main.ts (+ uPlot and the message contract) into
// media/dist/metrics.js and media/dist/metrics.css. No CDN, no network at run time.
//   node media/build.mjs            one build (minified, with sourcemaps)
//   node media/build.mjs --watch    rebuild on change
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");
const options = {
  entryPoints: { metrics: join(here, "src", "main.ts") },
  outdir: join(here, "dist"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome120"],
  minify: !watch && !process.env.EXPMAN_NO_MINIFY,
  sourcemap: true,
  logLevel: "info",
  legalComments: "linked",
};
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
