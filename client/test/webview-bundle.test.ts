/**
 * The bundles: `node build.mjs media` produces the webview script and stylesheet with no network
 * references; the host side of the panel bundles for the extension host without the webview
 * code, uPlot or native modules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const ROOT = join(__dirname, "../..");

test("build.mjs media bundles uPlot, the contract and the styles into media/dist, with no URLs to load", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "build.mjs"), "media"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const js = readFileSync(join(ROOT, "media/dist/metrics.js"), "utf8");
  const css = readFileSync(join(ROOT, "media/dist/metrics.css"), "utf8");
  assert.doesNotMatch(js, /https?:\/\//);
  assert.doesNotMatch(css, /https?:\/\/|@import/);
  assert.match(css, /\.u-wrap/, "uPlot's stylesheet is included");
  assert.match(js, /requestSeries/, "the message contract is bundled");
  assert.doesNotMatch(js, /require\(/, "no Node modules in the webview");
});

test("the host side (metrics-panel.ts) bundles for the extension host without webview code or native modules", async () => {
  const out = await esbuild.build({
    entryPoints: [join(ROOT, "client/src/webview/metrics-panel.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    external: ["vscode"],
    write: false,
    logLevel: "silent",
  });
  const code = out.outputFiles[0].text;
  assert.match(code, /require\("vscode"\)/);
  assert.doesNotMatch(code, /better-sqlite3|uPlot|acquireVsCodeApi/);
});
