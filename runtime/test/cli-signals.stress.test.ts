import { test } from "node:test";
import assert from "node:assert/strict";
import { doubleCtrlC } from "./helpers/signals";

// Two Ctrl-C at every spacing from 0 to 150 ms in 10 ms steps, three times each. Before the bin
// script kept its signal listener and ended through process.exit, the second one ended the
// process by SIGINT whenever it landed in Node's teardown (40-140 ms after the first one, for
// 2-40 ms): 'cli-run.test.ts' hits that moment on purpose; this sweeps around it blind.
test("two Ctrl-C at spacings 0-150 ms: always exit 130, every run ABORTED, the DB intact", async () => {
  const failures: string[] = [];
  let tries = 0;
  for (let round = 0; round < 3; round++) {
    for (let gapMs = 0; gapMs <= 150; gapMs += 10) {
      const r = await doubleCtrlC(gapMs, { watch: process.platform === "linux" && round === 0 });
      tries++;
      const ok =
        r.code === 130 &&
        r.signal === null &&
        r.integrity === "ok" &&
        r.experiment === "ABORTED" &&
        r.statuses.every((s) => s === "ABORTED") &&
        r.uncaughtAtMs === undefined;
      if (!ok) failures.push(`${gapMs} ms: ${JSON.stringify(r)}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${tries} tries`);
});
