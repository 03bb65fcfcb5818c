// browser.mjs URL TOKEN SHOTS WORKDIR PAVED NODEDIR -- the portal in headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core): sign in,
// search the catalog, create a service from the form and watch it go live,
// open its page and see its health and graph, ship a second release, roll
// back from the page, read an API's OpenAPI reference, the teams page, the
// dark scheme.  A screenshot of each page goes to SHOTS.  Prints one line
// per check ("ok: ..." / "FAIL: ...") and exits 1 when any failed.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, token, shots, workdir, paved, nodeDir] = process.argv.slice(2);
// playwright-core from the portal's own npm folder (plugins/portal/node)
const { chromium } = createRequire(join(nodeDir, 'package.json'))('playwright-core');
let fails = 0, checks = 0;
const ok = (cond, what, detail = '') => {
  checks++;
  if (cond) console.log(`ok: ${what}`);
  else { fails++; console.log(`FAIL: ${what}${detail ? `: ${detail}` : ''}`); }
};
const profile = mkdtempSync(join(tmpdir(), 'paved-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 }, colorScheme: 'light',
});
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(15000);
const problems = [];
page.on('console', m => {
  if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(m.text());
});
// a failed request is a problem, but for the favicon (the portal has none)
// and the 404 of a service that was never deployed (its page says so)
page.on('response', r => {
  if (r.status() >= 400 && !r.url().endsWith('/favicon.ico') &&
      !(r.status() === 404 && /\/api\/paved\/services\/orders\//.test(r.url())))
    problems.push(`${r.status()} ${r.url()}`);
});
page.on('pageerror', e => problems.push(String(e)));
const shot = name => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const step = async (what, fn) => {
  try { await fn(); } catch (e) { ok(false, what, String(e).split('\n')[0]); }
};

try {
  await step('sign in with a token', async () => {
    await page.goto(`${url}/catalog`);
    ok(page.url().includes('/login'), 'an anonymous visit is sent to the sign-in page');
    await shot('login');
    await page.fill('#token', token);
    await page.click('#login-submit');
    await page.waitForURL(/\/catalog$/);
    ok((await page.textContent('#whoami')).includes('team-a'), 'signed in as team-a');
  });

  await step('search the catalog', async () => {
    ok(await page.locator('#entities tbody tr').count() >= 9, 'the catalog lists the entities');
    await page.fill('#search', 'orders');
    await Promise.all([page.waitForURL(/q=orders/), page.press('#search', 'Enter')]);
    const names = await page.locator('#entities tbody tr td:first-child').allTextContents();
    ok(names.includes('Orders') && names.includes('orders-api') && !names.includes('Billing'),
      'search finds what matches and nothing else', names.join());
    await shot('catalog-search');
    await page.goto(`${url}/catalog`);
    await page.click('section[data-facet="kind"] >> text=Component');
    const kinds = await page.locator('#entities tbody tr td:nth-child(2)').allTextContents();
    ok(kinds.length >= 3 && kinds.every(k => k === 'Component'), 'the kind facet filters', kinds.join());
    await shot('catalog');
  });

  let v1 = '';
  await step('create a service from the form and watch it go live', async () => {
    await page.goto(`${url}/create/node-api`);
    ok(await page.inputValue('#f-owner') === 'team-a', 'the form is generated from the recipe, owner filled in');
    await page.fill('#f-name', 'shop-svc');
    await page.click('#create-submit');
    await page.waitForSelector('#outcome[data-status]', { timeout: 180000 });
    const status = await page.getAttribute('#outcome', 'data-status');
    const classes = await page.locator('#steps li').evaluateAll(l => l.map(x => x.className));
    ok(status === 'completed', 'the task completed', status);
    ok(classes.length === 7 && classes.every(c => c === 'completed' || c === 'skipped'),
      'every step was shown live from the event stream', classes.join());
    await shot('create');
    await page.click('#service-link');
    await page.waitForSelector('#health[data-state="healthy"]', { timeout: 60000 });
    ok(true, 'its page shows it healthy (live)');
    await page.waitForSelector('#graph[data-drawn="true"]', { timeout: 20000 });
    ok(true, 'its dependency graph is drawn');
    await page.waitForSelector('#releases[data-loaded="true"]');
    v1 = await page.getAttribute('#releases', 'data-live');
    ok(/^[0-9a-f]{12}$/.test(v1), 'its first release is live', v1);
    await page.waitForSelector('#red[data-loaded="true"]', { timeout: 20000 });
    ok(await page.getAttribute('#red', 'data-charts') === '3', 'three RED graphs are drawn');
    ok(await page.locator('#red .chart[data-series="requests_per_s"] >> text=version v2').count() === 1,
      'one line per version (v1, v2)');
    ok((await page.textContent('#red-now')).includes('12.50 req/s'), 'and the RED figures now');
    await shot('service');
  });

  await step('roll back from the page', async () => {
    const dir = join(workdir, 'shop-svc');
    appendFileSync(join(dir, 'README.md'), '\nA second release.\n');
    execFileSync('git', ['-C', dir, 'commit', '-qam', 'A second release'], { stdio: 'inherit' });
    execFileSync(paved, ['deploy', 'shop-svc', '--dir', dir], { stdio: 'ignore' });
    await page.reload();
    await page.waitForSelector('#releases[data-loaded="true"]');
    const v2 = await page.getAttribute('#releases', 'data-live');
    ok(v2 && v2 !== v1, 'a second release is live', v2);
    await page.click(`button.rollback[data-version="${v1}"]`);
    await page.waitForSelector('#releases[data-result]', { timeout: 120000 });
    ok(await page.getAttribute('#releases', 'data-result') === 'ok', 'the rollback succeeded',
      await page.textContent('#release-result'));
    ok(await page.getAttribute('#releases', 'data-live') === v1, 'the first release is live again');
    await page.waitForFunction(v => document.querySelector('#health')?.dataset.version === v, v1,
      { timeout: 30000 });
    ok(await page.getAttribute('#health', 'data-state') === 'healthy', 'and healthy');
    await shot('service-rolled-back');
  });

  await step('an API and its OpenAPI reference', async () => {
    await page.goto(`${url}/catalog/default/component/orders`);
    await page.waitForSelector('#graph[data-drawn="true"]');
    ok(+(await page.getAttribute('#graph', 'data-nodes')) >= 4, 'orders: dependents, API and system in the graph');
    ok((await page.textContent('#oncall')).includes('alice@example.com'), "on-call comes from the owner");
    ok((await page.textContent('#cost')).includes('$120/month'), 'its cost is shown');
    ok(await page.locator('#links >> text=Runbook').count() === 1, 'its runbook is linked');
    await page.waitForSelector('.openapi[data-rendered="true"]', { timeout: 30000 });
    await page.waitForSelector('.openapi >> text=List the orders', { timeout: 30000 });
    ok(true, 'the OpenAPI reference is rendered');
    await shot('component-orders');
  });

  await step('the teams page and the dark scheme', async () => {
    await page.goto(`${url}/teams`);
    ok(await page.locator('article.team').count() >= 2, 'the teams are listed');
    ok((await page.textContent('article[data-team="team-a"]')).includes('component:default/orders'),
      'with what they own');
    await shot('teams');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${url}/catalog`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    ok(bg === 'rgb(17, 21, 28)', 'the dark scheme follows the system preference', bg);
    await shot('catalog-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  ok(problems.filter(p => !/favicon/.test(p)).length === 0, 'no script error and no CSP violation',
    problems.join(' | '));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${checks} checks, ${fails} failed`);
process.exit(fails ? 1 : 0);
