import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "@expman/runtime/contracts";
import { globRegExp, parseFilter, FilterError } from "../src/logic/filter-expr";
import { applyFilter, layoutColumns } from "../src/logic/runs-view";
import { lowerIsBetter, metricValue, sortOrder, tableColumns } from "../src/logic/table";
import { summary } from "../../test/webview/harness/memory-source";

function runs(): RunSummary[] {
  return [
    summary(1, {
      trialName: "lr=0.01,hidden=32",
      params: { lr: 0.01, hidden: 32, "optimizer.name": "adam" },
      finalMetrics: { val_acc: 0.95, train_loss: 0.2 },
      metricRanges: { val_acc: [0.5, 0.96], train_loss: [0.2, 2.3] },
      note: "Baseline for the paper",
      tags: ["baseline", "paper"],
    }),
    summary(2, {
      trialName: "lr=0.1,hidden=32",
      status: "FAILED",
      params: { lr: 0.1, hidden: 32, "optimizer.name": "sgd" },
      finalMetrics: { val_acc: 0.7, train_loss: 0.9 },
      metricRanges: { val_acc: [0.4, 0.91], train_loss: [0.8, 2.4] },
    }),
    summary(3, {
      trialName: "big",
      params: { lr: 0.001, hidden: 128 },
      finalMetrics: { val_acc: 0.92 },
      tags: ["best"],
    }),
  ];
}

function ids(expr: string, summaries: Record<string, "last" | "min" | "max" | "best"> = {}): number[] {
  const rs = runs();
  const r = applyFilter(rs, tableColumns(rs, { summaries }), expr);
  if (!r.ok) throw new Error(`${r.error} @${r.at}`);
  return r.keep ? [...r.keep].sort() : rs.map((x) => x.id);
}

function error(expr: string): { error: string; at: number } {
  const rs = runs();
  const r = applyFilter(rs, tableColumns(rs), expr);
  assert.equal(r.ok, false, `expected an error for ${expr}`);
  return r as { error: string; at: number };
}

test("filter: the issue's examples", () => {
  assert.deepEqual(ids("lr < 0.1 && val_acc > 0.9"), [1, 3]);
  assert.deepEqual(ids('trial ~ "lr=*"'), [1, 2]);
  assert.deepEqual(ids("status == FAILED"), [2]);
  assert.deepEqual(ids("status == failed"), [2]);
  assert.deepEqual(ids('note ~ "baseline"'), [1]);
});

test("filter: or, not, parentheses, tags, free text, dotted params, != and missing values", () => {
  assert.deepEqual(ids("lr >= 0.1 || hidden > 100"), [2, 3]);
  assert.deepEqual(ids("!(status == SUCCESS)"), [2]);
  assert.deepEqual(ids("not status = success and lr < 1"), [2]);
  assert.deepEqual(ids("tags == best"), [3]);
  assert.deepEqual(ids('tag ~ "pap*"'), [1]);
  assert.deepEqual(ids("paper"), [1]);
  assert.deepEqual(ids('"lr=0.1"'), [2]);
  assert.deepEqual(ids("optimizer.name == SGD"), [2]);
  // A run without the value matches no comparison, != included (like SQL's NULL).
  assert.deepEqual(ids("train_loss != 0.2"), [2]);
  assert.deepEqual(ids("param:lr == 0.001"), [3]);
  assert.deepEqual(ids(""), [1, 2, 3]);
  assert.deepEqual(ids('trial ~ "LR=0.0?,*"'), [1]);
});

test("filter: a metric filters by the summary its column shows (min / max / last / best)", () => {
  assert.deepEqual(ids("val_acc > 0.9"), [1, 3]);
  assert.deepEqual(ids("val_acc > 0.9", { "metric:val_acc": "max" }), [1, 2]);
  assert.deepEqual(ids("train_loss < 1", { "metric:train_loss": "best" }), [1, 2]);
  assert.deepEqual(ids("train_loss > 2.35", { "metric:train_loss": "max" }), [2]);
  const [r1] = runs();
  assert.equal(metricValue(r1, "train_loss", "best"), 0.2);
  assert.equal(metricValue(r1, "val_acc", "best"), 0.96);
  assert.equal(metricValue(r1, "val_acc", "min"), 0.5);
  assert.equal(metricValue(runs()[2], "val_acc", "min"), undefined, "no range stored: no min");
  assert.ok(lowerIsBetter("val/loss") && lowerIsBetter("test_error") && !lowerIsBetter("val_acc"));
});

test("filter: errors name the problem and point at it", () => {
  let e = error("lrr < 0.1");
  assert.match(e.error, /no column named "lrr" \(did you mean "lr"\?\)/);
  assert.equal(e.at, 0);
  e = error("status == FAILD");
  assert.match(e.error, /status is one of .*FAILED.*"FAILD" is none of them/);
  e = error("lr < 0.1 &&");
  assert.match(e.error, /expected a comparison like "lr < 0.1", found the end of the filter/);
  assert.equal(e.at, 11);
  e = error("(lr < 0.1");
  assert.match(e.error, /expected "\)" to close the "\(" at 1/);
  e = error('trial ~ "lr=*');
  assert.match(e.error, /unclosed " string/);
  assert.equal(e.at, 8);
  e = error("lr < 0.1 val_acc > 2");
  assert.match(e.error, /expected an operator|join conditions with && or \|\|/);
  e = error("lr < 0.1)");
  assert.match(e.error, /this "\)" has no "\("/);
  e = error("< 3");
  assert.match(e.error, /expected a column name before </);
  e = error("lr # 3");
  assert.match(e.error, /unexpected character "#"/);
  assert.equal(e.at, 3);
  assert.throws(() => parseFilter("0.5 < lr"), FilterError);
});

test("glob: * and ? anchored, plain text means contains, case-insensitive, regex characters literal", () => {
  assert.ok(globRegExp("lr=*").test("LR=0.1"));
  assert.ok(!globRegExp("lr=*").test("x lr=0.1"));
  assert.ok(globRegExp("base").test("my Baseline run"));
  assert.ok(globRegExp("a.b").test("a.b") && !globRegExp("a.b").test("axb"));
  assert.ok(globRegExp("run-?").test("run-7") && !globRegExp("run-?").test("run-77"));
});

test("columns: pinned first in pin order, hidden ones out; sort keeps missing values last both ways", () => {
  const rs = runs();
  const cols = tableColumns(rs);
  assert.deepEqual(
    cols.map((c) => c.id),
    [
      "run",
      "status",
      "tags",
      "note",
      "param:hidden",
      "param:lr",
      "param:optimizer.name",
      "metric:train_loss",
      "metric:val_acc",
    ],
  );
  const { shown, pinned } = layoutColumns(cols, {
    filter: "",
    hiddenColumns: ["note", "param:hidden"],
    pinnedColumns: ["metric:val_acc", "run", "gone"],
    summaries: {},
  });
  assert.equal(pinned, 2);
  assert.deepEqual(
    shown.map((c) => c.id),
    ["metric:val_acc", "run", "status", "tags", "param:lr", "param:optimizer.name", "metric:train_loss"],
  );
  const loss = cols.find((c) => c.id === "metric:train_loss");
  assert.deepEqual(sortOrder(rs, loss, false), [0, 1, 2]);
  assert.deepEqual(sortOrder(rs, loss, true), [1, 0, 2]);
  assert.deepEqual(sortOrder(rs, undefined, true), [0, 1, 2]);
});
