// Playwright, in the real workbench (issue 11.1): a sweep run from the editor. The language
// server's CodeLens on `sweep:` shows what configs/sweep plans (a 2 x 2 grid, 4 runs), its Run
// Experiment lens runs it, and the Experiments tree shows the sweep's four trials with their
// runs succeeded. Every element is looked up afresh and clicks are retried until the state
// reads as expected: the editor and the tree re-render while the runs go on.
import assert from "node:assert/strict";

const TRIALS = ["grid[lr=0.1,epochs=1]", "grid[lr=0.1,epochs=2]", "grid[lr=0.5,epochs=1]", "grid[lr=0.5,epochs=2]"];
// What each trial's row shows at least (a tree that groups a sweep's trials may show only this).
const POINTS = TRIALS.map((t) => t.slice("grid[".length, -1));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Retries `action` until `done()` holds (checked for `settleMs` after each try), up to `timeout`. */
async function until(what, done, action, { timeout = 60_000, settleMs = 4_000, describe } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${describe ? `\n${await describe()}` : ""}`);
    await action().catch(() => undefined);
    const settle = Date.now() + settleMs;
    while (Date.now() < settle) {
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const visible = (locator) =>
  locator
    .first()
    .isVisible()
    .catch(() => false);

export default [
  {
    name: "a sweep from the editor: the CodeLens shows its planned runs, Run Experiment runs it, the tree shows its trials",
    async run({ page, ui, screenshot }) {
      await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
      const lens = (text) => page.locator(".codelens-decoration").filter({ hasText: text });
      const planned = lens("Sweep 'grid': 4 trials × 1 repeat = 4 runs");
      await until(
        "configs/sweep/trials.yaml open with its sweep lens",
        () => visible(planned),
        async () => {
          await ui.openFile(page, "configs/sweep/trials.yaml");
        },
        { timeout: 90_000, settleMs: 15_000 },
      );
      await screenshot("sweep-codelens");

      // Run Experiment from the client's lens; started when the run shows up anywhere.
      const finished = page
        .locator(".notifications-toasts .notification-list-item")
        .filter({ hasText: "'sweep-toy' finished" });
      const running = page.locator(".statusbar-item").filter({ hasText: /sweep-toy/ });
      await until(
        "the sweep started from its Run Experiment lens",
        async () => (await visible(running)) || (await visible(finished)),
        () =>
          page
            .locator(".codelens-decoration a")
            .filter({ hasText: "Run Experiment" })
            .first()
            .click({ timeout: 5_000 }),
        { timeout: 60_000, settleMs: 8_000 },
      );
      await finished.first().waitFor({ state: "visible", timeout: 120_000 });
      const text = await finished.first().innerText();
      // "'sweep-toy' finished: grid[lr=0.1,epochs=1]-0 SUCCESS, ...": every planned run, SUCCESS.
      for (const trial of TRIALS) assert.ok(text.includes(`${trial}-0 SUCCESS`), text);

      // The tree: the experiment, then the sweep's trials (under any grouping rows the tree
      // puts between them: expanded until the trials show), each with its run succeeded.
      await ui.openViewContainer(page, "Experiments");
      // Other checks' experiments fill the view: collapse them so the sweep's rows are on screen.
      await page
        .locator('.part.sidebar .title-actions [aria-label^="Collapse All"]')
        .first()
        .click({ timeout: 5_000 })
        .catch(() => undefined);
      await ui.waitForTreeItem(page, "sweep-toy", { timeout: 60_000 });
      await until(
        "the sweep's four trials in the tree",
        async () => {
          const labels = await ui.visibleTreeLabels(page);
          return POINTS.every((p) => labels.some((l) => l.includes(p) && !/-\d+$/.test(l)));
        },
        async () => {
          // Expanded again on every try: a refresh of the tree (the run's last writes) can
          // render the experiment collapsed. Then any collapsed row between the experiment and
          // its trials (a sweep or launch group), read in screen order from the virtual list.
          await ui.healTree(page);
          await ui.expandTreeItem(page, "sweep-toy");
          const group = await page.$$eval(
            '.part.sidebar .monaco-list-row[role="treeitem"]',
            (els, points) => {
              const rows = els
                .map((el) => ({
                  label: el.querySelector(".label-name")?.textContent ?? "",
                  level: Number(el.getAttribute("aria-level")),
                  expanded: el.getAttribute("aria-expanded"),
                  top: el.getBoundingClientRect().top,
                }))
                .sort((a, b) => a.top - b.top);
              const at = rows.findIndex((r) => r.label === "sweep-toy");
              if (at < 0) return undefined;
              for (let i = at + 1; i < rows.length && rows[i].level > rows[at].level; i++) {
                const r = rows[i];
                if (r.expanded === "false" && !points.some((p) => r.label.includes(p))) return r.label;
              }
              return undefined;
            },
            POINTS,
          );
          if (group) await ui.expandTreeItem(page, group);
        },
        { timeout: 90_000, settleMs: 3_000, describe: () => ui.describeTreeRows(page) },
      );
      for (const point of POINTS.slice(0, 2)) {
        const trialRow = (await ui.visibleTreeLabels(page)).find((l) => l.includes(point) && !/-\d+$/.test(l));
        await ui.expandTreeItem(page, trialRow);
        const run = ui.treeItem(page, new RegExp(`${escape(point)}\\]?-0`)).first();
        await run.waitFor({ state: "visible", timeout: 30_000 });
        assert.match(await run.innerText(), /succeeded/);
      }
      await screenshot("sweep-tree");
      // Leave the tree as the next checks expect it: the experiment collapsed again (its rows
      // would push theirs out of the virtual list's viewport).
      const experiment = () => ui.treeItem(page, "sweep-toy").first();
      await until(
        "sweep-toy collapsed again",
        async () =>
          (await experiment()
            .getAttribute("aria-expanded")
            .catch(() => null)) === "false",
        () => experiment().click({ timeout: 5_000 }),
        { timeout: 30_000, settleMs: 2_000 },
      );
    },
  },
];
