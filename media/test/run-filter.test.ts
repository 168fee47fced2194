import { test } from "node:test";
import assert from "node:assert/strict";
import { RunFilter, type RunFilterChange } from "../src/logic/run-filter";

function recorder(f: RunFilter): RunFilterChange[] {
  const seen: RunFilterChange[] = [];
  f.subscribe((c) => seen.push(c));
  return seen;
}

test("run filter: a run is visible when every source's filter keeps it; sources replace only their own", () => {
  const f = new RunFilter();
  f.setRuns([1, 2, 3, 4, 5]);
  assert.deepEqual(f.visible(), [1, 2, 3, 4, 5]);
  f.setFilter("table", [1, 2, 3]);
  f.setFilter("brush:lr", [2, 3, 4]);
  assert.deepEqual(f.visible(), [2, 3]);
  assert.deepEqual(f.activeFilters().sort(), ["brush:lr", "table"]);
  f.setFilter("brush:lr", [3, 4]);
  assert.deepEqual(f.visible(), [3]);
  f.setFilter("table", null);
  assert.deepEqual(f.visible(), [3, 4]);
  assert.equal(f.isVisible(1), false);
  f.clearFilters();
  assert.deepEqual(f.visible(), [1, 2, 3, 4, 5]);
});

test("run filter: listeners hear what changed and who changed it, and nothing for a no-op", () => {
  const f = new RunFilter();
  const seen = recorder(f);
  f.setRuns([1, 2, 3]);
  f.setRuns([1, 2, 3]); // same list: no event
  f.setFilter("table", [1, 2]);
  f.setFilter("table", [2, 1]); // same set: no event
  f.setFilter("brush:x", [1, 2, 3]); // keeps everything visible: no visible change
  f.select([2], "table");
  f.select([2], "plot"); // same selection: no event
  f.toggle(3, "plot");
  assert.deepEqual(seen, [
    { visible: true, selected: false, origin: "runs" },
    { visible: true, selected: false, origin: "table", changed: [3] },
    { visible: false, selected: true, origin: "table" },
    { visible: false, selected: true, origin: "plot" },
  ]);
  assert.deepEqual(f.selected(), [2, 3]);
  f.toggle(2, "tree");
  assert.deepEqual(f.selected(), [3]);
});

test("run filter: runs that leave the panel leave the selection; unknown ids are ignored", () => {
  const f = new RunFilter();
  f.setRuns([1, 2, 3]);
  f.select([1, 3, 99], "tree");
  assert.deepEqual(f.selected(), [1, 3]);
  const seen = recorder(f);
  f.setRuns([2, 3, 4]);
  assert.deepEqual(f.selected(), [3]);
  assert.deepEqual(seen, [{ visible: true, selected: true, origin: "runs" }]);
  f.toggle(99, "plot");
  assert.deepEqual(f.selected(), [3]);
  assert.equal(f.selectedCount, 1);
});

test("run filter: a throwing listener does not keep the others from being told", () => {
  const f = new RunFilter();
  let told = 0;
  f.subscribe(() => {
    throw new Error("boom");
  });
  const off = f.subscribe(() => told++);
  assert.throws(() => f.setRuns([1]), /boom/);
  assert.equal(told, 1);
  off();
  assert.throws(() => f.setRuns([1, 2]), /boom/);
  assert.equal(told, 1);
});

test("run filter: a filter change names exactly the runs whose visibility flipped", () => {
  const f = new RunFilter();
  f.setRuns([1, 2, 3, 4, 5, 6]);
  const seen = recorder(f);
  f.setFilter("table", [1, 2, 3, 4]);
  f.setFilter("brush", [2, 3, 4, 5, 6]); // 1 leaves; 5 and 6 stay hidden by the table
  f.setFilter("table", null); // 5 and 6 come back; 1 stays out (the brush)
  f.setFilter("brush", [3, 4, 5, 6, 1]);
  f.clearFilters();
  assert.deepEqual(
    seen.map((c) => c.changed),
    [[5, 6], [1], [5, 6], [1, 2], [2]],
  );
  assert.deepEqual(f.visible(), [1, 2, 3, 4, 5, 6]);
});
