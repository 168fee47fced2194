/** Where the cursor is in a config file: the path of keys the completion and hover work from. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contextAt, LIST_ITEM } from "../src/yaml-context";

describe("contextAt", () => {
  const text = [
    "- name: a",
    "  settings:",
    "    pipeline:",
    "      type: Train",
    "      callbacks:",
    "      - type: EarlyStopping",
    "        pat",
    "  repeat: 1",
    "- name: b",
    "  settings:",
    "    pipeline:",
    "      type: Other",
  ].join("\n");
  it("finds the path, siblings and whether a key or a value is under the cursor", () => {
    const inCallback = contextAt(text, 6, 11);
    assert.equal(inCallback.placed, true);
    assert.deepEqual(inCallback.path, [LIST_ITEM, "settings", "pipeline", "callbacks", LIST_ITEM]);
    assert.equal(inCallback.inKey, true);
    assert.equal(inCallback.siblings.get("type"), "EarlyStopping");
    assert.equal(inCallback.pipelineType, "Train", "the cursor's own trial, not the next one");
    const onValue = contextAt(text, 5, 16);
    assert.equal(onValue.inKey, false);
    assert.equal(onValue.key, "type");
    const trialKey = contextAt(text, 7, 3);
    assert.deepEqual(trialKey.path, [LIST_ITEM]);
    assert.deepEqual([...trialKey.siblings.keys()].sort(), ["name", "repeat", "settings"]);
    assert.equal(contextAt(text, 11, 12).pipelineType, "Other");
  });

  it("reads the type being typed, flow values and commented keys as written", () => {
    const lines = ["pipeline: # the model", "  type: Tra", "  sizes: [8, 16]", "  "];
    const onType = contextAt(lines, 1, 11);
    assert.deepEqual(onType.path, ["pipeline"]);
    assert.equal(onType.pipelineType, "Tra");
    assert.equal(onType.siblings.get("sizes"), "[8, 16]");
    const blank = contextAt(lines, 3, 2);
    assert.deepEqual(blank.path, ["pipeline"]);
    assert.deepEqual([...blank.siblings.keys()].sort(), ["sizes", "type"]);
    assert.equal(contextAt(lines, 0, 3).siblings.get("pipeline"), "", "a comment is no value");
  });

  it("places a blank line at a list's column in the list, and one typed mid-list after it", () => {
    const env = ["workspace: out", "trackers:", "  - type: DBTracker", "    name: db", "  ", "  - type: LogTracker"];
    const inList = contextAt(env, 4, 2);
    assert.deepEqual(inList.path, ["trackers"]);
    assert.equal(inList.siblings.size, 0);
    const top = contextAt(env, 4, 0);
    assert.deepEqual(top.path, []);
    assert.deepEqual([...top.siblings.keys()].sort(), ["trackers", "workspace"]);
    const base = ["pipeline:", "  type: T", "  callbacks:", "    - type: A", "  ", "      metric: m", "    - type: B"];
    const midList = contextAt(base, 4, 2);
    assert.deepEqual(midList.path, ["pipeline"]);
    assert.deepEqual([...midList.siblings.keys()].sort(), ["callbacks", "type"]);
  });

  it("does not place a key deeper than any mapping around it can hold", () => {
    const lines = ["pipeline:", "  type: T", "  epochs: 3", "          "];
    const deep = contextAt(lines, 3, 10);
    assert.equal(deep.placed, false);
  });

  it("reads only the cursor's trial of a long trials.yaml, and only the plain reader for a huge block", () => {
    const trials: string[] = [];
    for (let i = 0; i < 2000; i++) trials.push(`- name: t${i}`, "  settings:", "    seed: 1", "    ");
    trials.push("- name: broken", "  settings: {");
    const ctx = contextAt(trials, 4 * 1000 + 3, 4);
    assert.deepEqual(ctx.path, [LIST_ITEM, "settings"], "a broken trial elsewhere changes nothing");
    assert.deepEqual([...ctx.siblings.keys()], ["seed"]);
    const huge = ["pipeline:", "  type: T", ...Array.from({ length: 5000 }, (_, i) => `  k${i}: ${i}`), "  "];
    assert.deepEqual(contextAt(huge, huge.length - 1, 2).path, ["pipeline"]);
    assert.equal(contextAt(huge, huge.length - 1, 2).siblings.size, 5001);
    huge.splice(2, 0, "  k0: duplicate");
    assert.equal(contextAt(huge, huge.length - 1, 2).placed, false, "past the plain subset: no guess");
  });
});
