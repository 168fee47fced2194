// Playwright, in the real workbench: a run's status bar item stops its experiment when clicked
// (issue 12.6: it once failed with "command not found experimentManager.stopRun"); the
// notification says the experiment was stopped and no "command not found" appears.
import assert from "node:assert/strict";

export default [
  {
    name: "clicking a run's status bar item stops the experiment",
    async run({ page, ui, screenshot }) {
      await ui.runCommandFromPalette(page, "Notifications: Clear All Notifications");
      await ui.runFromCodeLens(page, "configs/slow");

      const item = page
        .locator(".statusbar-item")
        .filter({ hasText: /slow-toy: .*epoch \d+\/400/ })
        .first();
      await item.waitFor({ state: "visible", timeout: 60_000 });
      await screenshot("status-bar-run");
      const stopped = page
        .locator(".notifications-toasts .notification-list-item")
        .filter({ hasText: "'slow-toy' was stopped" })
        .first();
      // The item's text changes every epoch (its element is re-rendered): a click can land on a
      // replaced element. Click until it says "stopping…" (a click that did land stops the run).
      for (let attempt = 0; attempt < 5; attempt++) {
        await item.click({ timeout: 5_000 }).catch(() => undefined);
        const reacted = await page
          .locator(".statusbar-item")
          .filter({ hasText: /slow-toy: stopping/ })
          .first()
          .waitFor({ state: "visible", timeout: 3_000 })
          .then(
            () => true,
            () => stopped.isVisible(),
          );
        if (reacted) break;
      }
      await stopped.waitFor({ state: "visible", timeout: 60_000 });
      await page
        .locator(".statusbar-item")
        .filter({ hasText: /slow-toy:/ })
        .first()
        .waitFor({ state: "detached", timeout: 30_000 });
      const texts = await ui.notificationTexts(page);
      assert.ok(!texts.some((t) => /command .* not found/i.test(t)), texts.join("\n"));
      await screenshot("status-bar-stopped");
    },
  },
];
