// Playwright helpers for the VS Code workbench (code-server 4.100 / VS Code 1.100 DOM).
// Selectors lean on roles and aria labels, which VS Code keeps stable for screen readers,
// rather than on its internal class names where possible.

/** Waits until the workbench has rendered its activity bar and the extension host is up. */
export async function waitForWorkbench(page, { timeout = 60_000 } = {}) {
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout });
  await page.locator(".part.activitybar").waitFor({ state: "visible", timeout });
}

/** The activity-bar entry of a view container, found by its title (as in package.json). */
export function activityBarEntry(page, title) {
  return page.locator(".part.activitybar").getByRole("tab", { name: title, exact: false }).first();
}

/** Opens a view container in the side bar by its title; leaves it open if it already is. */
export async function openViewContainer(page, title, { timeout = 30_000 } = {}) {
  const entry = activityBarEntry(page, title);
  await entry.waitFor({ state: "visible", timeout });
  // Clicking the active entry would collapse the side bar, so look before clicking.
  const selected = (await entry.getAttribute("aria-selected")) === "true";
  if (!selected) await entry.click();
  await page.locator(".part.sidebar").waitFor({ state: "visible", timeout });
}

/** Locator of the tree rows (in any visible tree) whose text contains `label`. */
export function treeItem(page, label) {
  return page.locator('.part.sidebar .monaco-list-row[role="treeitem"]').filter({ hasText: label });
}

/** Waits for a tree row with `label` to be visible and returns its locator. */
export async function waitForTreeItem(page, label, { timeout = 30_000 } = {}) {
  const item = treeItem(page, label).first();
  await item.waitFor({ state: "visible", timeout });
  return item;
}

/** Labels of the visible tree rows in the side bar, top to bottom. */
export async function visibleTreeLabels(page) {
  return page.locator('.part.sidebar .monaco-list-row[role="treeitem"] .monaco-icon-label .label-name').allInnerTexts();
}

/** Runs a command by its palette title (e.g. "Rig Stand-in: Run") through the command palette. */
export async function runCommandFromPalette(page, title, { timeout = 15_000 } = {}) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row").filter({ hasText: title }).first();
  await row.waitFor({ state: "visible", timeout });
  // Click the matching row rather than pressing Enter: Enter takes whichever row has focus,
  // which can still be a "recently used" entry while the filter settles.
  await row.click();
  await input.waitFor({ state: "hidden", timeout });
}

/** Texts of the notification toasts currently shown. */
export async function notificationTexts(page) {
  return page.locator(".notifications-toasts .notification-list-item-message").allInnerTexts();
}

/**
 * Expands a collapsed tree row (found by label) and returns its locator.
 * The row is looked up afresh on every try: the tree is a virtual list that reuses its row
 * elements and re-renders when the extension refreshes it (a run ending, a database change),
 * so an element handle taken before a click can point at another item by the time we look.
 */
export async function expandTreeItem(page, label, { timeout = 15_000 } = {}) {
  const deadline = Date.now() + timeout;
  const row = await waitForTreeItem(page, label, { timeout });
  for (;;) {
    const expanded = await treeItem(page, label)
      .first()
      .getAttribute("aria-expanded", { timeout: 5_000 })
      .catch(() => null);
    if (expanded === "true" || expanded === null) return row;
    if (Date.now() > deadline) throw new Error(`tree row "${label}" did not expand within ${timeout} ms`);
    await treeItem(page, label)
      .first()
      .click({ timeout: 5_000 })
      .catch(() => {});
    const settleUntil = Date.now() + 2_000;
    while (Date.now() < settleUntil) {
      const now = await treeItem(page, label)
        .first()
        .getAttribute("aria-expanded", { timeout: 1_000 })
        .catch(() => null);
      if (now === "true") return row;
      await page.waitForTimeout(100);
    }
  }
}
