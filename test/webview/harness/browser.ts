/**
 * Launches Debian's Chromium through playwright-core, headless, with a fresh profile, and
 * opens the harness page. Console errors and CSP violations are collected.
 */
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  errors: string[];
  close(): Promise<void>;
}

export async function openHarness(url: string, viewport = { width: 1200, height: 900 }): Promise<OpenPage> {
  const profile = mkdtempSync(join(tmpdir(), "expman-webview-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // Functions passed to page.evaluate are compiled by tsx/esbuild with keepNames, which
  // references a __name helper the page does not have.
  await context.addInitScript("window.__name = (f) => f;");
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => "__harness" in window && "__metrics" in window);
  return {
    page,
    context,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
