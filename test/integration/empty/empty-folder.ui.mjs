// Playwright, issue 12.4 in an EMPTY folder (after empty-folder.test.ts, which leaves it empty):
// the Experiments view offers New Experiment and no Run (there is nothing it could run); its
// "Get started" link opens the walkthrough, which lists its four steps and its New Experiment button asks for a name and writes the
// pipeline and the four config files; the view's Run appears then, and Run from the lens on
// trials.yaml trains it to SUCCESS runs listed in the tree.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const NAME = "hello-exp";

/** aria-labels of the Experiments view's title actions. */
async function viewActions(page) {
  return page
    .locator(".part.sidebar .title-actions .action-label")
    .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
}

async function until(what, fn, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export default [
  {
    name: "empty folder: the Experiments view offers New Experiment, not Run",
    async run({ page, ui, screenshot, workspace }) {
      assert.deepEqual(fs.readdirSync(workspace), [], "the folder is empty");
      await ui.openViewContainer(page, "Experiments");
      const button = page
        .locator(".part.sidebar .welcome-view-content")
        .getByRole("button", { name: "New Experiment" });
      await button.first().waitFor({ state: "visible", timeout: 30_000 });
      // The title actions render with the view; give the context key its moment, then look.
      await until(
        "the view's title actions",
        async () => (await viewActions(page)).some((l) => /Refresh/.test(l)),
        15_000,
      );
      await page.waitForTimeout(1_000);
      const actions = await viewActions(page);
      await screenshot("empty-folder-view");
      assert.ok(!actions.some((l) => /Run Experiment/.test(l)), `no Run in an empty folder: ${actions.join(", ")}`);
      assert.ok(
        actions.some((l) => /New Experiment/.test(l)),
        actions.join(", "),
      );
    },
  },
  {
    name: "empty folder: walkthrough -> New Experiment -> Run -> the tree",
    async run({ page, ui, screenshot, workspace }) {
      // The welcome view's "Get started" link opens the walkthrough.
      await ui.openViewContainer(page, "Experiments");
      const steps = ["Create an experiment", "Add the runtime to your project", "Run it", "See the chart"];
      await until(
        "the walkthrough, from the view's Get started link",
        async () => {
          if (await page.getByText(steps[0], { exact: true }).first().isVisible()) return true;
          await page
            .locator(".part.sidebar .welcome-view-content")
            .locator("a")
            .filter({ hasText: "Get started" })
            .first()
            .click({ timeout: 3_000 })
            .catch(() => {});
          return page
            .getByText(steps[0], { exact: true })
            .first()
            .waitFor({ state: "visible", timeout: 5_000 })
            .then(
              () => true,
              () => false,
            );
        },
        30_000,
      );
      for (const step of steps)
        await page.getByText(step, { exact: true }).first().waitFor({ state: "visible", timeout: 20_000 });
      await screenshot("empty-folder-walkthrough");
      const input = page.locator(".quick-input-widget input");
      // The step's button runs experimentManager.newExperiment: it asks for the name.
      await until(
        "New Experiment's name box",
        async () => {
          if (await input.isVisible()) return true;
          await page
            .locator(".gettingStartedContainer")
            .getByRole("button", { name: "New Experiment" })
            .first()
            .click({ timeout: 3_000 })
            .catch(() => {});
          return input.waitFor({ state: "visible", timeout: 3_000 }).then(
            () => true,
            () => false,
          );
        },
        30_000,
      );
      await input.fill(NAME);
      await input.press("Enter");
      const files = [
        `configs/${NAME}/base.yaml`,
        `configs/${NAME}/env.yaml`,
        `configs/${NAME}/experiment.yaml`,
        `configs/${NAME}/trials.yaml`,
        `pipelines/${NAME}.ts`,
      ];
      await until("the scaffold's files", () => files.every((f) => fs.existsSync(path.join(workspace, f))), 20_000);

      // Now there is something to run: the view's Run is back.
      await ui.openViewContainer(page, "Experiments");
      await until(
        "Run Experiment in the view's title",
        async () => (await viewActions(page)).some((l) => /Run Experiment/.test(l)),
        20_000,
      ).catch(async (e) => {
        await screenshot("empty-folder-no-run");
        throw new Error(`${e.message}; the view's actions: ${(await viewActions(page)).join(", ")}`);
      });

      await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
      await ui.runFromCodeLens(page, `configs/${NAME}`);
      const finished = page
        .locator(".notifications-toasts .notification-list-item")
        .filter({ hasText: `'${NAME}' finished` })
        .first();
      await finished.waitFor({ state: "visible", timeout: 120_000 });
      const text = await finished.innerText();
      assert.match(text, /small_lr-0 SUCCESS, small_lr-1 SUCCESS, big_lr-0 SUCCESS/);
      await ui.openViewContainer(page, "Experiments");
      await ui.waitForTreeItem(page, NAME, { timeout: 30_000 });
      await screenshot("empty-folder-ran");
    },
  },
];
