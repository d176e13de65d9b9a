/**
 * The dashboard in a real headless Chromium, logged in as a broker user. Chromium's profile
 * lives in the desk's state folder, so "nothing left that mentions the folder" covers it too.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { findChromium } from './chromium.ts';

export interface DashboardPage {
  browser: BrowserContext;
  page: Page;
  /** Uncaught errors of the page's scripts. */
  errors: string[];
}

/** `initScript`: JavaScript run in the page before its own scripts (e.g. to watch its layout from the first frame). */
export async function openDashboard(state: string, url: string, username: string, password: string, o: { viewport?: { width: number; height: number }; initScript?: string } = {}): Promise<DashboardPage> {
  const browser = await chromium.launchPersistentContext(join(state, 'chromium'), { executablePath: findChromium(), args: ['--headless', '--no-sandbox'], ...(o.viewport ? { viewport: o.viewport } : {}) });
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (o.initScript) await page.addInitScript(o.initScript);
  await page.goto(url);
  await page.getByLabel('username').fill(username);
  await page.getByLabel('password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
  return { browser, page, errors };
}

/** Where the dashboard tests leave their screenshots: test-artifacts/dashboard/ at the repo root. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url));

/** A full-page screenshot as `<name>.png`, its path printed so a person can look at it. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`\n  screenshot: ${path}\n`);
  return path;
}
