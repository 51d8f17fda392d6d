// Drives the console in Debian's Chromium through playwright-core (SPEC §8): no browser
// download, the system's /usr/bin/chromium (NOTES.md has the flags that work here).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** ISOLA_CHROMIUM, else the first Chromium on PATH (Debian's is /usr/bin/chromium). */
export function chromiumPath(): string {
  const configured = process.env.ISOLA_CHROMIUM;
  if (configured !== undefined && configured !== '') return configured;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next
    }
  }
  throw new Error('no Chromium found: install it (Debian: apt-get install -y chromium; `npm test` does this) or set ISOLA_CHROMIUM');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
}

export const wide = { width: 1280, height: 800 };
export const narrow = { width: 390, height: 844 };

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and failed requests the page saw (except ones a test expects). */
  problems: string[];
}

/**
 * A fresh browser context (its own sessionStorage) on the console, collecting every console
 * error and uncaught exception: the console must produce none. Responses with 4xx/5xx that a
 * test provokes on purpose are logged by Chromium as console errors; pass them in `expected`.
 */
export async function openConsole(browser: Browser, baseUrl: string, viewport = wide, expected: RegExp[] = []): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl, colorScheme: 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  const note = (text: string) => {
    if (!expected.some((pattern) => pattern.test(text))) problems.push(text);
  };
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning') note(`console.${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => note(`uncaught: ${error.stack ?? error.message}`));
  await page.goto('/');
  return { context, page, problems };
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('main').waitFor();
}

/**
 * Saves a full-page screenshot as <name>.png in ISOLA_SCREENSHOT_DIR (`npm run screenshots`
 * points it at docs/screenshots/); by default under cli/dist/screenshots, out of git.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = resolve(process.env.ISOLA_SCREENSHOT_DIR ?? new URL('../../screenshots', import.meta.url).pathname);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  // Fonts and charts settle after layout; animations are off (reducedMotion). Toasts of the
  // steps before would cover the page they report on; a focus ring left by the last click and a
  // page scrolled to the last field would shift it (the sidebar is sticky).
  await page.evaluate('document.fonts.ready');
  await page.addStyleTag({ content: '.toasts { display: none !important; }' });
  await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur(); window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}
