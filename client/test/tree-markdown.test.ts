// Tree tooltips are Markdown: names, messages and paths from a database must show literally
// (issue 13 point 10: unescaped paths in Markdown).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TreeModel, escapeMd, mdCode, type TreeNode } from "../src/core/tree-model";

/** The text a CommonMark reader shows for backslash escapes (enough for these checks). */
const unescape = (md: string) => md.replace(/\\([\\`*_{}[\]()<>#+!|~&])/g, "$1");

describe("tooltip Markdown", () => {
  it("escapeMd leaves no live Markdown: markup characters escaped, no line breaks, paths readable", () => {
    const hostile = "run](command:workbench.action.terminal.new) <img src=x> # *b* `c`\n\n# heading | t |";
    const md = escapeMd(hostile);
    assert.doesNotMatch(md, /\n/);
    assert.doesNotMatch(md, /(^|[^\\])[[\]()<>#*`|!]/, md);
    assert.equal(unescape(md), hostile.replace(/\n/g, " "));
    assert.equal(escapeMd("/tmp/a-b/locked.db: x"), "/tmp/a-b/locked.db: x");
  });

  it("mdCode fences a path with backticks so it cannot close the span early", () => {
    for (const p of ["/ws/runs/a", "/ws/``x`/y", "`start", "end`", "/a\n# b", ""]) {
      const md = mdCode(p);
      const fence = /^`+/.exec(md)![0];
      assert.ok(md.endsWith(fence));
      const inner = md.slice(fence.length, md.length - fence.length);
      assert.ok(!inner.includes(fence), `${JSON.stringify(p)} -> ${md}`);
      assert.doesNotMatch(md, /\n/);
      const flat = p.replace(/\n/g, " ");
      assert.ok(inner === flat || inner === ` ${flat} `, md);
    }
  });

  it("a checkpoint with a hostile path: the tooltip holds it in one code span", () => {
    const model = new TreeModel(async () => {
      throw new Error("not used");
    });
    const path = "/ws/``](command:x)`/ckpt.json";
    const node = {
      kind: "checkpoint",
      id: "c",
      db: "/d.db",
      run: {},
      checkpoint: { path, final: true, epoch: null, metrics: {}, exists: true },
    } as unknown as TreeNode;
    const tooltip = model.present(node).tooltip;
    assert.ok(tooltip.includes(mdCode(path)), tooltip);
    assert.ok(tooltip.includes("```"), "fence longer than the path's backtick run");
  });

  it("a run's note and tags show in its tooltip literally: a note cannot make a link, a heading or a new block", () => {
    const model = new TreeModel(async () => {
      throw new Error("not used");
    });
    const note = "see [here](command:workbench.action.quit)\n# not a heading <b>x</b>";
    const run = {
      id: 3,
      trialName: "t",
      repeat: 0,
      seed: 0,
      status: "SUCCESS",
      startTime: 0,
      endTime: 1,
      epochCount: 1,
      params: {},
      finalMetrics: {},
      error: null,
      note,
      tags: ["best", "lr=0.1"],
    };
    const node = { kind: "run", id: "r", db: "/d.db", run } as unknown as TreeNode;
    const tooltip = model.present(node).tooltip;
    assert.ok(tooltip.includes(`Note: ${escapeMd(note)}`), tooltip);
    assert.ok(tooltip.includes("Tags: best, lr=0.1"), tooltip);
    assert.doesNotMatch(tooltip, /\]\(command:/);
    assert.doesNotMatch(tooltip, /\n# not/);
  });
});
