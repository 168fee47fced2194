/** The server bundle stays loadable in the extension host: one file, Node built-ins only. */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { serverBundle } from "./helpers/lsp-client";

it("requires nothing but Node built-ins (no better-sqlite3, no native .node module)", async () => {
  const code = readFileSync(await serverBundle(), "utf8");
  const required = new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const foreign = [...required].filter((m) => !builtins.has(m));
  assert.deepEqual(foreign, []);
  assert.doesNotMatch(code, /better-sqlite3/);
  assert.ok(required.size > 0);
});
