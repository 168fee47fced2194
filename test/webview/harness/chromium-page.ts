/**
 * The one way the Chromium suites and benchmarks get the metrics webview on screen: the bundles
 * built (server.ts), the panel's real HTML with its product CSP and nonce served on 127.0.0.1
 * (server.ts), Debian's Chromium launched through playwright-core (browser.ts), harness pages
 * opened with their console errors collected, and all of it torn down again.
 *
 * Each harness builds the bundles into a temporary folder of its own and removes it on close.
 *
 * - Tests: `describe(name, { skip: chromiumSkip }, () => { const harness = useWebviewHarness(); ... })`
 *   registers the before/after hooks; the suite's tests share one browser (`harness.newPage()`).
 * - Benchmarks: `const harness = await startWebviewHarness()` (exits with a message where
 *   Chromium is missing); `harness.openFresh()` gives a page in a browser of its own, so each
 *   scenario's cold figures start from a fresh process; `harness.close()` at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { buildBundles, startHarnessServer, type HarnessServer } from "./server";
import { chromiumAvailable, CHROMIUM, launch, newHarnessPage, openHarness, type Browser } from "./browser";
import type { HarnessPage, OpenPage } from "./browser";

export type { HarnessPage, OpenPage } from "./browser";
export { CHROMIUM } from "./browser";

/** For `describe(name, { skip: chromiumSkip }, ...)`: why the suite cannot run here, or false. */
export const chromiumSkip: string | false = chromiumAvailable()
  ? false
  : `Chromium not installed at ${CHROMIUM} (EXPMAN_RIG_CHROMIUM names another)`;

export interface WebviewHarness {
  /** The harness page's address (the panel's HTML with the harness host script). */
  readonly url: string;
  /** A fresh harness page in the shared browser (tests), its console errors collected. */
  newPage(): Promise<HarnessPage>;
  /** A harness page in a browser of its own (benchmarks: one fresh browser per scenario). */
  openFresh(viewport?: { width: number; height: number }): Promise<OpenPage>;
  /** Closes the shared browser (if one was started) and the server. */
  close(): Promise<void>;
}

/**
 * Builds the bundles and starts the server; with `sharedBrowser`, also one browser that
 * `newPage()` opens pages in.
 */
export async function startWebviewHarness(options: { sharedBrowser?: boolean } = {}): Promise<WebviewHarness> {
  const dist = mkdtempSync(join(tmpdir(), "expman-harness-"));
  let server: HarnessServer | undefined;
  let browser: Browser | undefined;
  try {
    await buildBundles(dist);
    server = await startHarnessServer(dist);
    if (options.sharedBrowser) browser = await launch();
  } catch (e) {
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
    throw e;
  }
  const started = server;
  return {
    url: started.url,
    newPage: () => {
      if (!browser) throw new Error("this harness was started without a shared browser: use openFresh()");
      return newHarnessPage(browser.context, started.url);
    },
    openFresh: (viewport) => openHarness(started.url, viewport),
    close: async () => {
      await browser?.close();
      await started.close();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/**
 * For benchmarks: the harness, or exit 1 with the reason where Chromium is not installed
 * (a benchmark that prints nothing must not look like one that passed).
 */
export async function startBenchHarness(): Promise<WebviewHarness> {
  if (!chromiumAvailable()) {
    console.log(`Chromium not found at ${CHROMIUM}; set EXPMAN_RIG_CHROMIUM to its path.`);
    process.exit(1);
  }
  return startWebviewHarness();
}

/**
 * Registers before/after hooks in the calling `describe` (node:test) and returns the harness
 * they start: one server and one browser while the suite's tests run.
 */
export function useWebviewHarness(): Pick<WebviewHarness, "newPage"> {
  let harness: WebviewHarness | undefined;
  before(async () => {
    harness = await startWebviewHarness({ sharedBrowser: true });
  });
  after(async () => {
    await harness?.close();
  });
  return {
    newPage: () => {
      if (!harness) throw new Error("the webview harness runs only inside the describe() that set it up");
      return harness.newPage();
    },
  };
}
