// Shared by the metrics panel's UI checks (compare, metrics, live-metrics, run-notes): finding
// the panel's webview frame, waiting for its pending redraws, and retrying an action until the
// state it should cause reads back (the webview re-renders as data arrives).

/**
 * The webview's inner frame that runs the panel titled `title` (polls: it loads after the tab).
 * `exclude`: a frame to pass over (an earlier panel with the same title).
 */
export async function panelFrame(page, title, { exclude, timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === exclude || frame.isDetached()) continue;
      const ok = await frame
        .evaluate((t) => typeof window.__metrics === "object" && document.querySelector("h1")?.textContent === t, title)
        .catch(() => false);
      if (ok) return frame;
    }
    if (Date.now() > deadline)
      throw new Error(
        `no webview frame with the panel "${title}" (frames: ${page
          .frames()
          .map((f) => f.url().slice(0, 80))
          .join(", ")})`,
      );
    await page.waitForTimeout(250);
  }
}

/** Two animation frames in the webview: pending redraws (rAF) and uPlot's draw have happened. */
export function settle(frame) {
  return frame.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))),
  );
}

/**
 * Retries `act` until `check` reads true (each try looks everything up again). After each `act`,
 * `check` is polled every `interval` ms for `recheckFor` ms (at least once) before acting again:
 * give an action whose effect is slow to show (a quick pick, a re-rendered table) that window,
 * so it is not repeated while its first effect is on its way.
 */
export async function until(what, act, check, { timeout = 20_000, recheckFor = 0, interval = 300 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await act().catch(() => {});
    const stop = Date.now() + recheckFor;
    do {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, interval));
    } while (Date.now() < stop);
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeout} ms of trying`);
  }
}
