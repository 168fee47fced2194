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

/**
 * The side bar's tree rows as one line each ("label [level, expanded]"), top to bottom: put
 * in a failing check's message, so a CI log shows what the tree held when it failed.
 */
export async function describeTreeRows(page) {
  const rows = await page
    .$$eval('.part.sidebar .monaco-list-row[role="treeitem"]', (els) =>
      els
        .map((el) => ({
          label: el.querySelector(".label-name")?.textContent ?? "",
          description: el.querySelector(".label-description")?.textContent ?? "",
          level: el.getAttribute("aria-level"),
          expanded: el.getAttribute("aria-expanded"),
          top: el.getBoundingClientRect().top,
        }))
        .sort((a, b) => a.top - b.top),
    )
    .catch(() => []);
  if (rows.length === 0) return "(no tree rows in the side bar)";
  return rows
    .map(
      (r) =>
        `${"  ".repeat(Math.max(0, Number(r.level) - 1))}${r.label} ${r.description ? `(${r.description}) ` : ""}[level ${r.level}, expanded ${r.expanded}]`,
    )
    .join("\n");
}

/**
 * Gives the keyboard back to the workbench. A webview (the metrics panel) keeps the keyboard in
 * its iframe after a check clicked in it, and keys pressed there may never reach the
 * workbench's keybindings (F1, Ctrl+P): blurring the focused element of the top document moves
 * the focus out of the iframe.
 */
async function focusWorkbench(page) {
  // eslint-disable-next-line no-undef -- runs in the page
  await page.evaluate(() => document.activeElement?.blur?.()).catch(() => {});
}

/**
 * Opens the quick input with `key` (F1: commands, Control+P: files), types `query` and clicks
 * the first row `pick` accepts; retried from scratch until the widget closed on that click.
 * Clicked rather than Enter: Enter takes whichever row has focus, which can still be a
 * "recently used" entry while the filter settles.
 */
async function quickPick(page, key, query, pick, { timeout }) {
  const deadline = Date.now() + timeout;
  const input = page.locator(".quick-input-widget input");
  for (let attempt = 1; ; attempt++) {
    try {
      if (attempt > 1) await page.keyboard.press("Escape");
      await focusWorkbench(page);
      await page.keyboard.press(key);
      await input.waitFor({ state: "visible", timeout: 5_000 });
      await input.fill(query, { timeout: 5_000 });
      const row = pick(page.locator(".quick-input-widget .monaco-list-row")).first();
      await row.waitFor({ state: "visible", timeout: 10_000 });
      await row.click({ timeout: 5_000 });
      await input.waitFor({ state: "hidden", timeout: 5_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`quick input "${query}" (${key}): ${err?.message ?? err}`, { cause: err });
    }
  }
}

/** Runs a command by its palette title (e.g. "Rig Stand-in: Run") through the command palette. */
export async function runCommandFromPalette(page, title, { timeout = 30_000 } = {}) {
  await quickPick(page, "F1", `>${title}`, (rows) => rows.filter({ hasText: title }), { timeout });
}

/**
 * Opens a workspace file by its path relative to the workspace (`configs/slow/trials.yaml`)
 * through Quick Open. Several files share a name (every config folder has a trials.yaml, and
 * recently opened ones rank first), so the row must show both the name and its folder.
 */
export async function openFile(page, relativePath, { timeout = 60_000 } = {}) {
  const slash = relativePath.lastIndexOf("/");
  const base = relativePath.slice(slash + 1);
  const folder = relativePath.slice(0, Math.max(0, slash));
  await quickPick(
    page,
    "Control+P",
    relativePath,
    (rows) => (folder ? rows.filter({ hasText: base }).filter({ hasText: folder }) : rows.filter({ hasText: base })),
    { timeout },
  );
}

/** Opens a config folder's trials.yaml and clicks its "Run Experiment" CodeLens. */
export async function runFromCodeLens(page, configFolder, { timeout = 60_000 } = {}) {
  const lens = page.locator(".codelens-decoration a").filter({ hasText: "Run Experiment" }).first();
  // An editor opened while the workbench is busy has been seen to get no CodeLens for 30 s (twice,
  // after the metrics panel checks): opening the file again makes VS Code ask for them anew.
  for (let attempt = 1; ; attempt++) {
    await openFile(page, `${configFolder}/trials.yaml`, { timeout });
    try {
      await lens.waitFor({ state: "visible", timeout: 15_000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
      await runCommandFromPalette(page, "View: Close Editor");
    }
  }
  await lens.click();
}

/** Texts of the notification toasts currently shown. */
export async function notificationTexts(page) {
  return page.locator(".notifications-toasts .notification-list-item-message").allInnerTexts();
}

/**
 * VS Code's tree list has been seen in this rig (quiet machine and busy alike, CI included) to
 * keep the rows of an earlier state drawn beside the current ones after the view was reloaded
 * while rows were being fetched: every root row after an inserted one then shows twice, and rows
 * overlap on screen. That is the workbench's state, not the extension's (each id is registered
 * once, or the extension host would throw), and only a fresh workbench clears it. If a root row
 * shows twice, the window is reloaded and the Experiments view opened again; the rig says so.
 * Returns whether it reloaded. (The cause in VS Code is not fixed: see the closing notes.)
 */
export async function healTree(page) {
  const roots = await page
    .$$eval('.part.sidebar .monaco-list-row[role="treeitem"][aria-level="1"]', (els) =>
      els.map(
        (el) =>
          `${el.querySelector(".label-name")?.textContent ?? ""} (${el.querySelector(".label-description")?.textContent ?? ""})`,
      ),
    )
    .catch(() => []);
  const twice = roots.find((label, i) => roots.indexOf(label) !== i);
  if (!twice) return false;
  console.log(
    `rig: the Experiments view shows the root row "${twice}" twice (stale rows of VS Code's list): reloading the window`,
  );
  await runCommandFromPalette(page, "Developer: Reload Window");
  await page.waitForTimeout(1_000);
  await waitForWorkbench(page);
  await openViewContainer(page, "Experiments");
  return true;
}

/**
 * Expands a collapsed tree row (found by label) and returns its locator.
 * The row is looked up afresh on every try: the tree is a virtual list that reuses its row
 * elements and re-renders when the extension refreshes it (a run ending, a database change),
 * so an element handle taken before a click can point at another item by the time we look.
 * A row whose children are loading (its twistie spins; slow under load) is waited for, never
 * clicked again: a second click would collapse it before it ever reads as expanded.
 */
export async function expandTreeItem(page, label, { timeout = 15_000 } = {}) {
  let deadline = Date.now() + timeout;
  let healed = false;
  const row = await waitForTreeItem(page, label, { timeout });
  const state = () =>
    treeItem(page, label)
      .first()
      .evaluate(
        (el) => ({
          expanded: el.getAttribute("aria-expanded"),
          loading: /loading/.test(el.querySelector(".monaco-tl-twistie")?.className ?? ""),
        }),
        undefined,
        { timeout: 5_000 },
      )
      .catch(() => ({ expanded: null, loading: false, missing: true }));
  for (;;) {
    const before = await state();
    if (before.expanded === "true" || (before.expanded === null && !before.missing)) return row;
    if (Date.now() > deadline) {
      if (!healed && (await healTree(page))) {
        healed = true;
        deadline = Date.now() + timeout;
        continue;
      }
      throw new Error(
        `tree row "${label}" did not expand within ${timeout} ms; the tree:\n${await describeTreeRows(page)}`,
      );
    }
    if (!before.loading && !before.missing)
      await treeItem(page, label)
        .first()
        .click({ timeout: 5_000 })
        .catch(() => {});
    // Settles for 2 s, or for as long as the children load.
    const settleUntil = Date.now() + 2_000;
    for (;;) {
      const now = await state();
      if (now.expanded === "true") return row;
      if (Date.now() > deadline || (Date.now() > settleUntil && !now.loading)) break;
      await page.waitForTimeout(100);
    }
  }
}
