// Playwright check, issue 11.2: a note added from the Experiments tree (the run's context menu,
// Edit Note, the input box) is found by the metrics panel's runs-table filter (note ~ "...").
// Runs `configs/curve` (two runs, fast-0 and slow-0) from its CodeLens first. Robust to the
// tree and the table re-rendering: every element is looked up afresh, and clicks are retried
// until the state they should cause reads back.
import assert from "node:assert/strict";
import { expandNewestLaunch } from "./launches.mjs";
import { panelFrame, until } from "./panel.mjs";

const EXPERIMENT = "curve-toy";
const PANEL_TITLE = `Metrics: ${EXPERIMENT}`;
const RUN = "fast-0";
const NOTE = `rig baseline note ${Date.now()}`;
/** Each try gets 2 s for its effect (a context menu, a re-rendered table) before the next. */
const RETRY = { timeout: 30_000, recheckFor: 2_000, interval: 150 };

async function check({ page, ui, screenshot }) {
  await ui.runCommandFromPalette(page, "View: Close All Editors");
  await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
  await ui.runFromCodeLens(page, "configs/curve");
  await page
    .locator(".notifications-toasts .notification-list-item")
    .filter({ hasText: `'${EXPERIMENT}' finished` })
    .first()
    .waitFor({ state: "visible", timeout: 120_000 });
  await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");

  // The tree: experiment > trial > run; Edit Note from the run's context menu.
  await ui.openViewContainer(page, "Experiments");
  await expandNewestLaunch(page, ui, EXPERIMENT, "fast");
  await ui.expandTreeItem(page, "fast");
  await ui.waitForTreeItem(page, RUN);
  const noteInput = page.locator(".quick-input-widget input");
  await until(
    "Edit Note from the run's context menu",
    async () => {
      await page.keyboard.press("Escape");
      // The visible row: the list keeps rows it has scrolled past or is about to reuse in the DOM.
      await ui.treeItem(page, RUN).filter({ visible: true }).first().click({ button: "right", timeout: 5_000 });
      await page
        .locator(".context-view .action-item")
        .filter({ hasText: "Edit Note" })
        .first()
        .click({ timeout: 3_000 });
    },
    () => noteInput.isVisible(),
    RETRY,
  );
  await noteInput.fill(NOTE);
  await noteInput.press("Enter");
  await noteInput.waitFor({ state: "hidden", timeout: 15_000 });

  // The experiment's metrics panel, from the row's inline action (hover, click until the tab is there).
  const tab = page.locator(".tabs-container .tab").filter({ hasText: PANEL_TITLE }).first();
  await until(
    "Open Metrics on the experiment",
    async () => {
      const item = await ui.waitForTreeItem(page, EXPERIMENT, { timeout: 10_000 });
      await item.hover();
      await item.locator('.action-label[aria-label*="Open Metrics"]').first().click({ timeout: 1_000 });
    },
    () => tab.isVisible(),
    RETRY,
  );
  const frame = await panelFrame(page, PANEL_TITLE);

  // The table's filter finds the run by its note (the note may reach the panel a refresh later:
  // type the filter again until the table reads as expected).
  const typeFilter = (text) =>
    frame.evaluate((t) => {
      const box = document.getElementById("runs-filter");
      box.value = t;
      box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    }, text);
  const shown = () =>
    frame.evaluate(() => {
      const app = window.__metrics;
      const ids = app.table.rowRunIds();
      return {
        count: document.querySelector(".runs-count")?.textContent ?? "",
        trials: ids.map((id) => app.runs.find((r) => r.summary.id === id)?.summary.trialName),
        notes: ids.map((id) => app.runs.find((r) => r.summary.id === id)?.summary.note),
      };
    });
  await until(
    'the filter note ~ "rig baseline" keeps the noted run',
    () => typeFilter('note ~ "rig baseline"'),
    async () => {
      const s = await shown();
      return s.count === "1 of 2 runs" && s.trials[0] === "fast" && s.notes[0] === NOTE;
    },
    RETRY,
  );
  const noteCell = await frame.evaluate(() => document.querySelector(".vt-body .vt-row .vt-cell.note")?.textContent);
  assert.equal(noteCell, NOTE, "the note column shows the note");
  await screenshot("run-note-filter");
  await until(
    "a filter no note matches keeps no run",
    () => typeFilter('note ~ "no such words"'),
    async () => (await shown()).count === "0 of 2 runs",
    RETRY,
  );
  await typeFilter("");
  console.log(`run-notes.ui: note saved from the tree on ${RUN}, found by the table filter (1 of 2 runs)`);
}

export default [
  {
    name: "a note added from the Experiments tree is found by the runs table's filter",
    async run(ctx) {
      try {
        await check(ctx);
      } finally {
        await ctx.page.keyboard.press("Escape").catch(() => {});
        await ctx.page.keyboard.press("Escape").catch(() => {});
      }
    },
  },
];
