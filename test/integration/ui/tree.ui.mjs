// Playwright checks on the workbench after the trusted suites ran the fixture experiments.
import assert from "node:assert/strict";
import { expandNewestLaunch } from "./launches.mjs";

const checks = [
  {
    name: "the Experiments view shows the runs, epochs and checkpoints after a run",
    async run({ page, ui, screenshot }) {
      await ui.openViewContainer(page, "Experiments");
      await ui.waitForTreeItem(page, "quick-toy");
      await expandNewestLaunch(page, ui, "quick-toy", "only");
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

export const configEditor = {
  name: "a config file shows the Run Experiment CodeLens and editor-title button",
  async run({ page, ui, screenshot }) {
    await ui.openFile(page, "configs/quick/trials.yaml");
    await page
      .locator(".codelens-decoration")
      .filter({ hasText: "Run Experiment" })
      .first()
      .waitFor({ state: "visible", timeout: 30_000 });
    await page
      .locator('.editor-actions [aria-label^="Run Experiment"]')
      .first()
      .waitFor({ state: "visible", timeout: 15_000 });
    await screenshot("config-codelens");
  },
};

checks.push(configEditor);
export default checks;
