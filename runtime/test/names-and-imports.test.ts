/**
 * Names are not paths (issue 13.4, 13.3): trial names and DBTracker file names that would
 * leave their folder, or cannot be a file name, are refused by validate (with the reason, at
 * file:line) and by run before anything is written; the runtime refuses them again where it
 * builds the paths. And a module under imports: that calls process.exit is an error naming
 * the module, not a silent exit 0 (issue 13.10).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { expman, toyConfig } from "./helpers/cli";
import { childPath, fileNameProblem } from "../src/common/names";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { Environment } from "../src/env/environment";
import { tempDir } from "./helpers/env";

const BAD_TRIAL_NAMES: Array<[string, RegExp]> = [
  ['"../../escaped"', /path separator/],
  ['".."', /names a folder itself/],
  ['"."', /names a folder itself/],
  ['""', /is empty/],
  ["a/b", /path separator/],
  ['"nul\\0byte"', /control character/],
  [`n${"x".repeat(299)}`, /is 300 characters long; at most 100/],
];

for (const [name, reason] of BAD_TRIAL_NAMES) {
  test(`trial name ${name.slice(0, 20)}: refused by validate and run, with the reason; nothing written`, () => {
    const { dir, workspace } = toyConfig({
      trials: `- name: ok\n  repeat: 1\n  settings: {}\n- name: ${name}\n  repeat: 1\n  settings: {}\n`,
    });
    const root = path.dirname(dir);
    const v = expman(["validate", dir]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(
      v.stderr,
      new RegExp(`trials\\.yaml:4:9: error: 'name' becomes a file or folder name, and .*${reason.source}`),
    );
    const r = expman(["run", dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, reason);
    assert.equal(fs.existsSync(workspace), false, "nothing was written");
    assert.deepEqual(fs.readdirSync(root).sort(), ["config"]);
  });
}

for (const dbName of ["../../../x.db", ".", "sub/x.db"]) {
  test(`DBTracker name ${dbName}: refused by validate and run`, () => {
    const { dir, workspace } = toyConfig({
      env: `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: ${dbName}\n`,
    });
    const v = expman(["validate", dir]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stderr, /env\.yaml:6:11: error: 'name' becomes a file or folder name/);
    const r = expman(["run", dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(fs.existsSync(workspace), false);
  });
}

test("the runtime refuses names that leave their folder where it builds paths", () => {
  for (const bad of ["..", ".", "", "../x", "a/b", "a\\b", "x\0y", "y".repeat(101)]) {
    assert.ok(fileNameProblem(bad), bad);
    assert.throws(() => childPath("/tmp/ws", bad, "trial name"), /The trial name/);
  }
  assert.equal(childPath("/tmp/ws", "lr=0.1 run", "trial name"), path.resolve("/tmp/ws/lr=0.1 run"));
  const ws = tempDir("expman-names-");
  const env = new Environment(ws, {});
  assert.throws(() => env.createChild("../escaped"), /path separator/);
  assert.throws(() => new DBTracker(ws, { name: "../../x.db" }), /path separator/);
  assert.throws(() => new DBTracker(ws, { name: "." }), /names a folder itself/);
  assert.equal(fs.existsSync(path.join(ws, "..", "escaped")), false);
});

test("a module under imports: that calls process.exit(0) is an error naming it, from validate and run", () => {
  const { dir, workspace } = toyConfig({
    env: `workspace: ../ws\nimports:\n  - ./toy.js\n  - ./quits.js\ntrackers:\n  - type: LogTracker\n`,
  });
  fs.writeFileSync(path.join(dir, "quits.js"), "process.exit(0);\n");
  const v = expman(["validate", dir]);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  assert.match(v.stderr, /env\.yaml:4:5: .*Loading '\.\/quits\.js' failed: .*called process\.exit\(0\)/);
  const r = expman(["run", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /quits\.js.*process\.exit\(0\)/);
  assert.equal(fs.existsSync(workspace), false);
});
