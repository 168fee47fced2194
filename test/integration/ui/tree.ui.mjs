// Playwright checks on the workbench after the trusted suites ran the fixture experiments.
import assert from "node:assert/strict";

export default [
  {
    name: "the Experiments view shows the runs, epochs and checkpoints after a run",
    async run({ page, ui, screenshot }) {
      await ui.openViewContainer(page, "Experiments");
      await ui.waitForTreeItem(page, "quick-toy");
      await ui.expandTreeItem(page, "quick-toy");
      await ui.waitForTreeItem(page, "only");
      await ui.expandTreeItem(page, "only");
      const run = await ui.waitForTreeItem(page, "only-0");
      assert.match(await run.innerText(), /succeeded/);
      await ui.expandTreeItem(page, "only-0");
      await ui.expandTreeItem(page, "Epochs");
      await ui.waitForTreeItem(page, "epoch 2");
      await ui.expandTreeItem(page, "Checkpoints");
      await ui.waitForTreeItem(page, "checkpoint-final");
      await ui.waitForTreeItem(page, "experiment.db: cannot open");
      await screenshot("experiments-tree");
    },
  },
];
