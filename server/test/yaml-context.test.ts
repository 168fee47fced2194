/** Where the cursor is in a config file: the path of keys the completion and hover work from. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contextAt, LIST_ITEM } from "../src/yaml-context";

describe("contextAt", () => {
  const text = [
    "- name: a",
    "  settings:",
    "    pipeline:",
    "      callbacks:",
    "      - type: EarlyStopping",
    "        pat",
    "  repeat: 1",
  ].join("\n");
  it("finds the path, siblings and whether a key or a value is under the cursor", () => {
    const inCallback = contextAt(text, 5, 11);
    assert.deepEqual(inCallback.path, [LIST_ITEM, "settings", "pipeline", "callbacks", LIST_ITEM]);
    assert.equal(inCallback.inKey, true);
    assert.equal(inCallback.siblings.get("type"), "EarlyStopping");
    const onValue = contextAt(text, 4, 16);
    assert.equal(onValue.inKey, false);
    assert.equal(onValue.key, "type");
    const trialKey = contextAt(text, 6, 3);
    assert.deepEqual(trialKey.path, [LIST_ITEM]);
    assert.deepEqual([...trialKey.siblings.keys()].sort(), ["name", "repeat", "settings"]);
  });
});
