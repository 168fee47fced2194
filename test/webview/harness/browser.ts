/**
 * Launches Debian's Chromium through playwright-core, headless, with a fresh profile, and
 * opens harness pages. Console errors (including CSP violations) are collected per page.
 */
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../chromium.mjs";

export const CHROMIUM = CHROMIUM_PATH;

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(viewport = { width: 1200, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "expman-webview-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROMIUM_ARGS,
  });
  // Functions passed to page.evaluate are compiled by tsx/esbuild with keepNames, which
  // references a __name helper the page does not have.
  await context.addInitScript("window.__name = (f) => f;");
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface HarnessPage {
  page: Page;
  errors: string[];
}

export async function newHarnessPage(context: BrowserContext, url: string): Promise<HarnessPage> {
  const page = context.pages().find((p) => p.url() === "about:blank") ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  // Polled on a timer, not on animation frames: whether the scripts ran does not depend on the
  // page painting. A page that does not start says why (its errors, what loaded).
  await page
    .waitForFunction(() => "__harness" in window && "__metrics" in window, undefined, { polling: 100 })
    .catch(async (e: Error) => {
      const state = await page
        .evaluate(() => ({
          readyState: document.readyState,
          harness: "__harness" in window,
          metrics: "__metrics" in window,
          scripts: [...document.scripts].map((s) => s.src || "inline"),
        }))
        .catch((err: Error) => err.message);
      throw new Error(
        `the harness page did not start: ${JSON.stringify(state)}; page errors: ${errors.join(" | ") || "none"}; ${e.message}`,
      );
    });
  return { page, errors };
}

export interface OpenPage extends HarnessPage {
  context: BrowserContext;
  close(): Promise<void>;
}

/** One browser with one page (benchmarks: a fresh browser per scenario). */
export async function openHarness(url: string, viewport = { width: 1200, height: 900 }): Promise<OpenPage> {
  const browser = await launch(viewport);
  const { page, errors } = await newHarnessPage(browser.context, url);
  return { page, errors, context: browser.context, close: browser.close };
}
