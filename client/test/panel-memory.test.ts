import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, type PanelSettings } from "../src/webview/contract";
import { MAX_REMEMBERED, MEMORY_KEY, PanelMemory, type SettingsMemento } from "../src/webview/panel-memory";

/** The workspace state, as a Map (vscode.Memento's get/update). */
function memento(): SettingsMemento & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => data.get(key) as T | undefined,
    update: (key: string, value: unknown) => void data.set(key, JSON.parse(JSON.stringify(value))),
  };
}

const experiment = (experimentId: number, db = "/w/runs.db") => ({ kind: "experiment" as const, experimentId, db });

function chosen(): PanelSettings {
  return {
    ...DEFAULT_SETTINGS,
    hiddenRuns: [],
    groupBy: "param:lr",
    band: "std",
    table: { filter: "lr < 0.1", hiddenColumns: ["note"], pinnedColumns: ["run", "metric:val_acc"], summaries: {} },
    compare: {
      metrics: [
        { key: "val_loss", pick: "best", direction: "min" },
        { key: "test_acc", pick: "last", direction: "max" },
      ],
      scatterX: "lr",
      scatterY: "val_loss",
    },
  };
}

test("panel memory: a reopened panel gets the compare choices, grouping, band and columns it had", () => {
  const m = memento();
  const memory = new PanelMemory(m);
  assert.equal(memory.recall(experiment(1)), undefined, "nothing remembered yet");
  memory.remember(experiment(1), chosen());
  // A new PanelMemory over the same workspace state: the extension was restarted.
  const again = new PanelMemory(m).recall(experiment(1));
  assert.deepEqual(again, chosen());
  assert.equal(new PanelMemory(m).recall(experiment(2)), undefined, "another experiment starts from the defaults");
  assert.equal(new PanelMemory(m).recall(experiment(1, "/w/other.db")), undefined, "the same id in another database");
  // A run selection is the same panel whatever the order of its ids.
  memory.remember({ kind: "runs", runIds: [9, 3] }, { ...DEFAULT_SETTINGS, hiddenRuns: [], band: "std" });
  assert.equal(memory.recall({ kind: "runs", runIds: [3, 9, 3] })?.band, "std");
});

test("panel memory: damaged or older stored settings are repaired field by field; the newest are kept first", () => {
  const m = memento();
  const memory = new PanelMemory(m);
  const old = chosen() as unknown as Record<string, unknown>;
  delete old.compare; // settings saved before the compare choices were remembered
  m.data.set(MEMORY_KEY, [
    { key: "/w/runs.db#experiment:1", settings: { ...old, band: "wide" } },
    { key: "/w/runs.db#experiment:2", settings: { ...chosen(), compare: { metrics: [{ key: 1 }] } } },
    "not an entry",
  ]);
  const one = memory.recall(experiment(1))!;
  assert.equal(one.groupBy, "param:lr", "valid fields kept");
  assert.equal(one.band, "minmax", "an unknown band falls back to the default");
  assert.deepEqual(one.compare, DEFAULT_SETTINGS.compare, "no compare choices stored: the defaults");
  assert.deepEqual(memory.recall(experiment(2))!.compare, DEFAULT_SETTINGS.compare, "a damaged metric list");
  assert.deepEqual(memory.recall(experiment(2))!.table, chosen().table);
  for (let i = 0; i < MAX_REMEMBERED + 5; i++) memory.remember(experiment(100 + i), chosen());
  memory.remember(experiment(100), { ...chosen(), band: "minmax" }); // used again: goes to the front
  const stored = m.data.get(MEMORY_KEY) as { key: string }[];
  assert.equal(stored.length, MAX_REMEMBERED);
  assert.equal(stored[0].key, "/w/runs.db#experiment:100");
  assert.equal(memory.recall(experiment(100))!.band, "minmax");
  assert.equal(memory.recall(experiment(1)), undefined, "the least recently used are forgotten");
  assert.ok(memory.recall(experiment(100 + MAX_REMEMBERED + 4)));
});
