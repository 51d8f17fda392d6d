import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, TestApi } from '../e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from '../spawn-platform.js';
import { launchBrowser, narrow, openConsole, screenshot, signIn, wide, type ConsolePage } from './browser.js';

// The console in Debian's Chromium against a real `isola up` (SPEC §8): every flow a user
// needs, each checked through the API as well as on the page, with a screenshot of every page.
// Chromium logs every 4xx a flow provokes on purpose (a refused deploy, a refused token).
const provoked = [/Failed to load resource: the server responded with a status of (400|401) /];

let platform: SpawnedPlatform;
let api: TestApi;
let browser: Browser;
let main: ConsolePage;
const opened: ConsolePage[] = [];

const greeterV1 = `export default {
  async fetch(request, env) {
    const body = await request.text();
    console.log('greeting', body || 'nobody');
    return Response.json({ greeting: env.GREETING + ', ' + (body || 'world'), version: 1 });
  },
};
`;

async function open(viewport = wide): Promise<ConsolePage> {
  const page = await openConsole(browser, platform.url, viewport, provoked);
  opened.push(page);
  return page;
}

async function goTo(page: Page, route: string): Promise<void> {
  await page.goto(`/#${route}`);
}

/** Replaces the text of the editor that is showing (CodeMirror) as a user would: select all, type. */
async function replaceEditorText(page: Page, text: string): Promise<void> {
  const editor = page.locator('.cm-editor:visible .cm-content[contenteditable="true"]');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '2' } });
  api = new TestApi(platform.url, platform.token);
  browser = await launchBrowser();
  await api.deploy('greeter', greeterV1, { public: false, vars: { GREETING: 'Hello' }, secrets: ['API_KEY'], bindings: { STORE: { type: 'state', store: 'statestore' } } });
  await api.deploy('ticker', 'export default { scheduled() { console.log("tick"); } };', { crons: ['*/5 * * * *'] });
  await api.deploy('orders', 'export default { queue(batch) { for (const m of batch.messages) console.log("order", JSON.stringify(m.body)); } };', {
    queues: [{ topic: 'orders', maxRetries: 1, deadLetter: 'orders-dlq' }],
  });
  // Some traffic, so the lists and charts have something to show.
  for (let index = 0; index < 12; index++) {
    const answer = await api.call('POST', '/api/v1/functions/greeter/invoke', `visitor ${index}`, { 'content-type': 'text/plain' });
    assert.equal(answer.status, 200, answer.text);
  }
  assert.equal((await api.call('POST', '/api/v1/topics/orders/messages', { sku: 'A-1', quantity: 2 })).status, 202);
  main = await open();
});

after(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('the console in Chromium', () => {
  test('the gateway serves the console at / with caching headers fit for an SPA', async () => {
    const index = await fetch(`${platform.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script !== undefined, `index.html names its script under /console/assets/: ${html}`);
    const asset = await fetch(`${platform.url}${script}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // Sent compressed to clients that accept it (the build writes .br and .gz copies).
    const compressed = await fetch(`${platform.url}${script}`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(compressed.headers.get('content-encoding'), 'br');
    assert.equal(await compressed.text(), await asset.text(), 'the same script, decompressed');
    const plain = await fetch(`${platform.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
  });

  test('sign in: a wrong token and an invoker token are refused with a reason; the admin token signs in from the keyboard', async () => {
    const { page } = main;
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await screenshot(page, 'sign-in');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Paste an API token' }).waitFor();

    await page.getByLabel('API token').fill('isola_000000000000_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That token was not accepted' }).waitFor();

    const invoker = await api.call('POST', '/api/v1/tokens', { name: 'just-invokes', role: 'invoker' });
    await page.getByLabel('API token').fill(invoker.json?.token as string);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'invoker role' }).waitFor();

    // Keyboard only: the token field has focus after a reload; Enter submits.
    await page.reload();
    await page.waitForFunction('document.activeElement !== null && document.activeElement.id === "token"');
    await page.keyboard.type(platform.token);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("isola.token")'), platform.token, 'the token is kept in session storage');
    // The navigation is reachable with Tab.
    const reached: string[] = [];
    for (let step = 0; step < 12 && !reached.includes('Tokens'); step++) {
      await page.keyboard.press('Tab');
      reached.push(((await page.evaluate('document.activeElement && document.activeElement.textContent')) as string | null)?.trim() ?? '');
    }
    assert.ok(reached.includes('Functions') && reached.includes('Tokens'), `Tab reaches the navigation: ${reached.join(' | ')}`);
  });

  test('functions: every function with its health, traffic and triggers; search narrows the list', async () => {
    const { page } = main;
    await goTo(page, '/functions');
    const greeterRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'greeter' }) });
    await greeterRow.waitFor();
    // Stats come from the last hour's metrics: 12 invocations were made in before().
    await eventually('greeter shows its 12 invocations', async () => ((await greeterRow.textContent()) ?? '').includes('12') || null, 10_000, 250);
    assert.match((await greeterRow.textContent()) ?? '', /Healthy/);
    await page.getByRole('row').filter({ has: page.getByRole('link', { name: 'ticker' }) }).filter({ hasText: 'cron' }).waitFor();
    await screenshot(page, 'functions');

    await page.getByRole('searchbox', { name: 'Search functions' }).fill('tick');
    await page.getByRole('link', { name: 'greeter' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('link', { name: 'ticker' }).count(), 1);
    await page.getByRole('searchbox', { name: 'Search functions' }).fill('');
  });

  test('function overview and code: charts, triggers, bindings and the current sources', async () => {
    const { page } = main;
    await goTo(page, '/functions/greeter/overview');
    await page.getByRole('heading', { name: 'Invocations and errors per minute' }).waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await page.getByText('statestore').first().waitFor();
    await screenshot(page, 'function-overview');

    await goTo(page, '/functions/ticker/overview');
    await page.getByRole('button', { name: 'Run now' }).waitFor();
    await screenshot(page, 'function-overview-cron');

    await goTo(page, '/functions/greeter/code');
    await page.getByText("console.log('greeting'").waitFor();
    await screenshot(page, 'function-code');
  });

  test('deploy from the editor: a broken manifest is marked at its line; the fixed one deploys version 2', async () => {
    const { page } = main;
    await goTo(page, '/functions/greeter/deploy');
    await page.getByRole('button', { name: 'isola.yaml' }).click();
    const brokenManifest = ['name: greeter', 'main: index.js', 'limits:', '  memoryMb: 999999', 'vars:', '  GREETING: Hello', 'secrets: [API_KEY]', 'bindings:', '  STORE: { type: state, store: statestore }', 'routes:', '  - path: no-slash', ''].join('\n');
    await replaceEditorText(page, brokenManifest);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();

    const problems = page.getByRole('list', { name: 'Problems' });
    await problems.getByText('isola.yaml:4').waitFor();
    await problems.getByText('isola.yaml:11').waitFor();
    // Inline: the marked ranges sit on the lines that hold the faulty values.
    const marked = await page.locator('.cm-editor:visible .cm-lintRange-error').evaluateAll((ranges) => ranges.map((range) => range.closest('.cm-line')?.textContent ?? ''));
    assert.ok(marked.some((line) => line.includes('memoryMb: 999999')), `memoryMb is marked inline: ${JSON.stringify(marked)}`);
    assert.ok(marked.some((line) => line.includes('no-slash')), `the route is marked inline: ${JSON.stringify(marked)}`);
    await screenshot(page, 'function-deploy-problems');
    assert.deepEqual(((await api.call('GET', '/api/v1/functions/greeter/versions')).json?.versions as unknown[]).length, 1, 'nothing was deployed');

    await replaceEditorText(page, brokenManifest.replace('  memoryMb: 999999', '  memoryMb: 64').replace('routes:\n  - path: no-slash\n', ''));
    await page.getByRole('button', { name: 'index.js' }).click();
    await replaceEditorText(page, greeterV1.replace('version: 1', 'version: 2').replace("'greeting'", "'greeting v2'"));
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText(/version 2/i).first().waitFor();
    const served = await api.call('POST', '/api/v1/functions/greeter/invoke', 'editor');
    assert.equal(served.status, 200, served.text);
    assert.equal(served.json?.version, 2, 'latest serves what the editor deployed');
    assert.equal((served.json?.greeting as string | undefined) ?? '', 'Hello, editor');
    await screenshot(page, 'function-deploy');
  });

  test('test invoke: status, timing, cold or warm, and the log line arrives live in the Logs tab', async () => {
    // A second tab follows the logs while the first one invokes.
    const watcher = await open();
    await signIn(watcher.page, platform.token);
    await goTo(watcher.page, '/functions/greeter/logs');
    const lines = watcher.page.getByRole('log', { name: 'Log lines' });
    await lines.waitFor();
    await watcher.page.getByText(/live|following/i).first().waitFor();

    const { page } = main;
    await goTo(page, '/functions/greeter/invoke');
    await page.getByLabel('Method').selectOption('POST');
    await page.getByLabel('Path').fill('/hello?from=console');
    await page.getByRole('radio', { name: 'Text' }).check();
    await page.getByLabel('Body').fill('marker-7f3a');
    await page.getByRole('button', { name: 'Send' }).click();
    const response = page.getByRole('region', { name: 'Response' });
    await response.getByRole('status').filter({ hasText: '200' }).waitFor();
    await response.getByText(/cold|warm/i).first().waitFor();
    await response.getByText('Hello, marker-7f3a').waitFor();
    await screenshot(page, 'function-invoke');

    await lines.getByText('greeting v2 marker-7f3a').waitFor({ timeout: 10_000 });
    await screenshot(watcher.page, 'function-logs');

    // The response links to this invocation's logs.
    await response.getByRole('link', { name: 'Logs of this invocation' }).click();
    await page.getByRole('log', { name: 'Log lines' }).getByText('greeting v2 marker-7f3a').waitFor();
    assert.match(page.url(), /#\/functions\/greeter\/logs\?invocation=/);
  });

  test('versions: the diff against the previous version, and roll back to version 1', async () => {
    const { page } = main;
    await goTo(page, '/functions/greeter/versions');
    await page.getByRole('button', { name: 'Diff version 2 against version 1' }).click();
    await page.locator('.cm-changedLine, .cm-insertedLine, .cm-changedText').first().waitFor();
    await screenshot(page, 'function-versions');

    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back to v1' }).click();
    await eventually('latest points at version 1', async () => {
      const fn = await api.call('GET', '/api/v1/functions/greeter');
      return (fn.json?.aliases as Record<string, unknown>).latest !== undefined && JSON.stringify((fn.json?.aliases as Record<string, unknown>).latest) === '{"version":1}' ? true : null;
    });
    const served = await api.call('POST', '/api/v1/functions/greeter/invoke', '');
    assert.equal(served.json?.version, 1);
  });

  test('traffic: weights must add up to 100; a 90/10 split is saved and served', async () => {
    const { page } = main;
    await goTo(page, '/functions/greeter/traffic');
    const latest = page.getByRole('region', { name: 'latest', exact: true });
    await latest.getByRole('radio', { name: 'Split traffic' }).check();
    // The split starts from what latest serves (version 1); version 2 joins it.
    if ((await latest.getByLabel('Weight of version 2 (percent)').count()) === 0) await latest.getByRole('button', { name: 'Add version' }).click();
    await latest.getByLabel('Weight of version 2 (percent)').fill('85');
    await latest.getByLabel('Weight of version 1 (percent)').fill('10');
    await latest.getByRole('alert').filter({ hasText: '95' }).waitFor();
    assert.equal(await latest.getByRole('button', { name: 'Save traffic for latest' }).isDisabled(), true, 'Save waits for 100');
    await latest.getByLabel('Weight of version 2 (percent)').fill('90');
    await latest.getByRole('button', { name: 'Save traffic for latest' }).click();
    await eventually('latest splits 90/10', async () => {
      const fn = await api.call('GET', '/api/v1/functions/greeter');
      return JSON.stringify((fn.json?.aliases as Record<string, unknown>).latest) === JSON.stringify({ weights: { '1': 10, '2': 90 } }) ? true : null;
    });
    await screenshot(page, 'function-traffic');
  });

  test('secrets: names only, set and delete', async () => {
    const { page } = main;
    await goTo(page, '/functions/greeter/secrets');
    await page.getByLabel('Secret name').fill('API_KEY');
    await page.getByLabel('Secret value').fill('s3cr3t-value');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByRole('button', { name: 'Delete API_KEY' }).waitFor();
    assert.deepEqual((await api.call('GET', '/api/v1/functions/greeter')).json?.secrets, ['API_KEY']);
    assert.equal(await page.getByText('s3cr3t-value').count(), 0, 'the value is never shown');
    await screenshot(page, 'function-secrets');
  });

  test('invocations: search by function and status, open one to see its attempts and logs', async () => {
    const { page } = main;
    await goTo(page, '/invocations');
    await page.getByLabel('Function').selectOption('greeter');
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('region', { name: 'Search results' });
    await results.getByRole('link', { name: /^Invocation / }).first().waitFor();
    await screenshot(page, 'invocations');
    await results.getByRole('link', { name: /^Invocation / }).first().click();
    await page.getByRole('link', { name: 'Logs of this invocation' }).first().waitFor();
    await screenshot(page, 'invocation');
  });

  test('queues: topics with depth and dead letters; a dead letter is redriven and then succeeds', async () => {
    // Fails its first run in an instance and succeeds after (the redriven run finds the warm
    // instance first); no retries, so the first failure is a dead letter at once.
    await api.deploy('flaky', 'let runs = 0;\nexport default { fetch() { runs++; if (runs === 1) throw new Error("first run fails"); return new Response("ok"); } };', {
      async: { retries: 0 },
    });
    const id = await api.submit('/api/v1/functions/flaky/invoke', 'once');
    assert.equal((await api.finalRecord(id)).status, 'failed');

    const { page } = main;
    await goTo(page, '/queues');
    await page.getByRole('link', { name: 'orders' }).first().waitFor();
    const redrive = page.getByRole('button', { name: 'Redrive flaky (async)' });
    await redrive.waitFor();
    await screenshot(page, 'queues');
    await redrive.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Redrive', exact: true }).click();
    await redrive.waitFor({ state: 'detached' });
    await eventually('the redriven invocation succeeds', async () => ((await api.call('GET', `/api/v1/invocations/${id}`)).json?.status === 'succeeded' ? true : null), 15_000, 100);
    const queues = (await api.call('GET', '/api/v1/queues')).json?.queues as { name: string; kind: string; deadLetters: number }[];
    assert.equal(queues.find((queue) => queue.kind === 'function' && queue.name === 'flaky')?.deadLetters, 0);
  });

  test('tokens: created and shown once, listed, revoked; a revoked session is signed out with a reason', async () => {
    const { page } = main;
    await goTo(page, '/tokens');
    await page.getByLabel('Token name').fill('ci-bot');
    await page.getByLabel('Role').selectOption('deployer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const value = await page.getByLabel('New token').inputValue();
    assert.match(value, /^isola_[0-9a-f]{12}_/);
    assert.equal((await new TestApi(platform.url, value).call('GET', '/api/v1/functions')).status, 200, 'the new token works');
    await screenshot(page, 'tokens');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByLabel('New token').count(), 0, 'the value is gone once dismissed');

    await page.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('button', { name: 'Revoke ci-bot' }).waitFor({ state: 'detached' });
    assert.equal((await new TestApi(platform.url, value).call('GET', '/api/v1/functions')).status, 401, 'the revoked token is refused');

    // A session whose token is revoked elsewhere ends at its next request, saying why.
    const doomed = await api.call('POST', '/api/v1/tokens', { name: 'doomed', role: 'deployer' });
    const other = await open();
    await signIn(other.page, doomed.json?.token as string);
    assert.equal((await api.call('DELETE', `/api/v1/tokens/${doomed.json?.id as string}`)).status, 204);
    await goTo(other.page, '/functions/greeter/overview');
    await other.page.getByRole('alert').filter({ hasText: 'Your token was refused' }).waitFor();
  });

  test('a narrow screen: the menu opens, nothing scrolls sideways', async () => {
    const phone = await open(narrow);
    await signIn(phone.page, platform.token);
    for (const route of ['/functions', '/functions/greeter/overview', '/functions/greeter/invoke', '/invocations', '/tokens']) {
      await goTo(phone.page, route);
      await phone.page.locator('main h1').first().waitFor();
      const overflow = (await phone.page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      assert.ok(overflow <= 0, `${route} scrolls sideways by ${overflow} px at 390 px`);
    }
    await goTo(phone.page, '/functions');
    await phone.page.getByRole('link', { name: 'greeter' }).waitFor();
    await screenshot(phone.page, 'functions-narrow');
    await phone.page.getByRole('button', { name: 'Menu' }).click();
    await phone.page.getByRole('link', { name: 'Queues' }).click();
    await phone.page.getByRole('heading', { name: 'Queues' }).waitFor();
  });

  test('no console errors or uncaught exceptions on any page', () => {
    const problems = opened.flatMap((entry) => entry.problems);
    assert.deepEqual(problems, []);
  });
});
