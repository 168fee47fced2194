// The Run Trial lens's positions: one per trial with a string name, on its `name:` line.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trialLocations } from "../src/core/trial-names";

describe("trialLocations", () => {
  it("finds each trial's name line, in order, skipping entries without a string name", () => {
    const text = "# trials\n- name: small_lr\n  repeat: 2\n- repeat: 1\n  name: 'big lr'\n- name: 3\n- just a string\n";
    assert.deepEqual(trialLocations(text), [
      { name: "small_lr", line: 1 },
      { name: "big lr", line: 4 },
    ]);
  });
  it("a document that is not a list gives none", () => {
    assert.deepEqual(trialLocations("name: x\n"), []);
    assert.deepEqual(trialLocations(": : :\n- ["), []);
  });
});
