// The extension host must never load a native module (docs/architecture.md, "Processes"): the built
// client bundle and the language server bundle contain no `require` of a `.node` file or of
// better-sqlite3, while the runtime fallback in the package does carry better-sqlite3 for the
// child processes started with the user's Node.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "expman-bundles-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NATIVE = [
  /require\(\s*["'][^"']*better-sqlite3[^"']*["']\s*\)/,
  /require\(\s*["'][^"']*\.node["']\s*\)/,
  /require\(\s*["']bindings["']\s*\)/,
  /process\.dlopen/,
];

async function load(mod: string) {
  return import(pathToFileURL(path.join(repoRoot, mod)).href);
}

describe("bundles are native-free", () => {
  it("the client bundle requires nothing native and keeps vscode external", async () => {
    const { buildExtension, referencesNative } = await load("build.mjs");
    const out = await buildExtension({ outfile: path.join(tmp, "extension.js") });
    const code = fs.readFileSync(out, "utf8");
    for (const re of NATIVE) assert.equal(re.test(code), false, `client bundle matches ${re}`);
    assert.equal(code.includes("better-sqlite3"), false);
    assert.match(code, /require\("vscode"\)/);
    // The check itself catches what it must.
    assert.equal(referencesNative('x=require("better-sqlite3")'), true);
    assert.equal(referencesNative('x=require("./build/Release/addon.node")'), true);
    assert.equal(referencesNative('x=require("bindings")("addon")'), true);
    assert.equal(referencesNative("process.dlopen(m, f)"), true);
    assert.equal(referencesNative('x=require("yaml")'), false);
  });

  it("the language server bundle requires nothing native", async () => {
    const { buildServer } = await load("build.mjs");
    const out = await buildServer({ outfile: path.join(tmp, "server.js") });
    const code = fs.readFileSync(out, "utf8");
    for (const re of NATIVE) assert.equal(re.test(code), false, `server bundle matches ${re}`);
  });

  it("the .vsix file list carries the bundles, the runtime fallback, media, grammars, schemas", () => {
    const vsce = path.join(repoRoot, "node_modules", ".bin", "vsce");
    const files = execFileSync(vsce, ["ls", "--no-dependencies"], { cwd: repoRoot, encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    for (const f of [
      "package.json",
      "client/out/extension.js",
      "client/out/runtime/node_modules/@expman/runtime/bin/expman.js",
      "client/out/runtime/node_modules/@expman/runtime/dist/contracts.js",
      "client/out/runtime/node_modules/better-sqlite3/build/Release/better_sqlite3.node",
      "client/out/runtime/node_modules/yaml/dist/index.js",
      "client/out/runtime/node_modules/esbuild/lib/main.js",
      `client/out/expman-runtime-${JSON.parse(fs.readFileSync(path.join(repoRoot, "runtime", "package.json"), "utf8")).version}.tgz`,
      "client/resources/walkthrough/new-experiment.md",
      "server/out/server.js",
      "server/schemas/env.schema.json",
      "media/dist/metrics.js",
      "syntaxes/expman-log.tmLanguage.json",
      "syntaxes/expman-yaml.injection.tmLanguage.json",
      "client/resources/experiments.svg",
    ]) {
      // Build outputs exist only after `npm run build` (the rig's run.sh does it); sources always.
      if (/^(client\/out|server\/out|media\/dist)\//.test(f) && !fs.existsSync(path.join(repoRoot, f))) continue;
      assert.ok(files.includes(f), `${f} is packaged`);
    }
    assert.equal(files.filter((f) => /(^|\/)src\/.*\.ts$/.test(f)).length, 0, "no sources in the package");
    assert.equal(
      files.filter((f) => f.startsWith("test/") || f.startsWith("node_modules/")).length,
      0,
      "no tests or root node_modules",
    );
  });
});
