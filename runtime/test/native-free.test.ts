import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const DIST = path.resolve(__dirname, "../dist");

/** Which modules a fresh Node process has loaded after requiring `entry`. */
function loadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test("importing the runtime loads no native module until a database is opened", () => {
  const loaded = loadedBy(path.join(DIST, "index.js"));
  assert.ok(loaded.some((f) => f.endsWith(path.join("dist", "index.js"))));
  assert.deepEqual(
    loaded.filter((f) => /better-sqlite3|\.node$/.test(f)),
    [],
  );
});

test("the contracts entry (bundled by the language server and the extension) loads no tracker or native code", () => {
  const loaded = loadedBy(path.join(DIST, "contracts.js"));
  assert.deepEqual(
    loaded.filter((f) => /better-sqlite3|\.node$|tracking[\\/]|protobuf/.test(f)),
    [],
  );
});
