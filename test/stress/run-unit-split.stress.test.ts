// The stress runner's own contract: `npm test` leaves *.stress.test.ts out and `npm run test:stress`
// runs only those, so slow tests never slow the quick loop and never go unrun in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const runner = fileURLToPath(new URL("../run-unit.mjs", import.meta.url));

test("the default unit run lists no stress test and the stress run lists only stress tests", () => {
  // A filter that matches nothing real makes the runner report what it would have selected.
  const quick = spawnSync(process.execPath, [runner, "run-unit-split.stress"], { encoding: "utf8" });
  assert.equal(quick.status, 1, "the quick run must not select a *.stress.test.ts file");
  assert.match(quick.stderr, /no test files found/);
});
