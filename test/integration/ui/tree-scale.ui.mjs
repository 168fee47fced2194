// Playwright check of the tree at scale (issue 11.3) in the real workbench: an experiment
// launched twice from one folder is one row named after it with a row per launch (date and
// time, the newest open); its 450-trial sweep lists 200 trials best first and a "Show 200 more"
// row that pages in the next 200. The stores are written here, into the opened workspace, by
// the store's own writer; the extension finds them through its databaseGlobs watcher.
import assert from "node:assert/strict";
import * as path from "node:path";
import { tsImport } from "tsx/esm/api";

const repo = path.resolve(import.meta.dirname, "..", "..", "..");

const checks = [
  {
    name: "a sweep launched twice: grouped launches, best trials first, Show 200 more",
    async run({ page, ui, screenshot, workspace }) {
      const { writeBigExperiment, finalLoss } = await tsImport(
        path.join(repo, "runtime/test/helpers/big-store.ts"),
        import.meta.url,
      );
      const { launchLabel } = await tsImport(path.join(repo, "client/src/core/tree-model.ts"), import.meta.url);
      const db = path.join(workspace, "runs", "big-sweep", "artifacts", "experiment.db");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(path.dirname(db), { recursive: true });
      const configDir = path.join(workspace, "configs", "big-sweep");
      // Older than anything else in the workspace: the group is the tree's last row, so End
      // reaches its paging row (earlier checks' experiments sit above it, collapsed).
      const times = [Date.UTC(2020, 0, 1, 10), Date.UTC(2020, 0, 1, 11)];
      for (const time of times)
        writeBigExperiment(db, { title: "big-sweep", configDir, trials: 450, repeats: 1, epochs: 1, time });
      // The best two trials of the latest launch (run index = trial index; the lowest final val_loss first).
      const best = Array.from({ length: 450 }, (_, i) => i).sort((x, y) => finalLoss(x) - finalLoss(y));
      const trialName = (t) => `lr=${(0.001 * (t + 1)).toPrecision(3)},hidden=${32 * ((t % 4) + 1)}`;

      await ui.openViewContainer(page, "Experiments");
      // The view's own Collapse All: earlier checks left other experiments open above this one.
      await page
        .locator('.part.sidebar [aria-label="Collapse All"]')
        .first()
        .click({ timeout: 10_000 })
        .catch(() => {});
      // The watcher refreshes the tree when the file appears; Refresh as a fallback.
      const found = await ui
        .waitForTreeItem(page, "big-sweep", { timeout: 20_000 })
        .then(() => true)
        .catch(() => false);
      if (!found) await ui.runCommandFromPalette(page, "Experiment Manager: Refresh");
      const group = await ui.waitForTreeItem(page, "big-sweep", { timeout: 30_000 });
      assert.match(await group.innerText(), /2 launches/);
      await ui.expandTreeItem(page, "big-sweep");
      // One row per launch, by date and time; the newest is open and shows its trials best first.
      await ui.waitForTreeItem(page, launchLabel(times[1]));
      await ui.waitForTreeItem(page, trialName(best[0]));
      const labels = await ui.visibleTreeLabels(page);
      const first = labels.indexOf(trialName(best[0]));
      assert.equal(labels[first - 1], launchLabel(times[1]), labels.join(" | "));
      assert.deepEqual(labels.slice(first, first + 3), best.slice(0, 3).map(trialName), "best first by val_loss");
      assert.match(await ui.treeItem(page, trialName(best[0])).first().innerText(), /best val_loss/);
      await screenshot("tree-scale-launches");

      // Down to the paging row: End focuses the tree's last row (the earlier launch, right
      // below it). Rows are looked up afresh on every step (the list re-renders).
      const tree = page.locator(".part.sidebar .monaco-list").first();
      const row = (text) => ui.treeItem(page, text).first();
      await toBottom(page, tree, row("200 of 450 trials"));
      assert.match(await row("200 of 450 trials").innerText(), /Show 200 more/);
      await row(launchLabel(times[0])).waitFor({ state: "visible", timeout: 10_000 });
      // Click until the row is replaced (the next page is in; nothing scrolls meanwhile, so a
      // row still there means the click did not land), then down to the new paging row.
      const deadline = Date.now() + 60_000;
      while (
        await row("200 of 450 trials")
          .isVisible()
          .catch(() => false)
      ) {
        if (Date.now() > deadline) throw new Error("Show 200 more did not page in the next trials");
        await row("200 of 450 trials")
          .click({ timeout: 5_000 })
          .catch(() => {});
        await row("200 of 450 trials")
          .waitFor({ state: "hidden", timeout: 5_000 })
          .catch(() => {});
      }
      await toBottom(page, tree, row("400 of 450 trials"));
      assert.match(await row("400 of 450 trials").innerText(), /Show 50 more/);
      await screenshot("tree-scale-show-more");
      // Leave the tree as the next check expects it: collapsed, scrolled to the top.
      await page
        .locator('.part.sidebar [aria-label="Collapse All"]')
        .first()
        .click({ timeout: 10_000 })
        .catch(() => {});
      await tree.focus().catch(() => {});
      await page.keyboard.press("Home");
    },
  },
];

/** Focuses the tree and presses End until `target` (a row near the bottom) is in view. */
async function toBottom(page, list, target, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  while (!(await target.isVisible().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("row not reached at the end of the tree");
    await list.focus().catch(() => {});
    await page.keyboard.press("End");
    await page.waitForTimeout(500);
  }
}

export default checks;
