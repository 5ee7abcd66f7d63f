// Checks formwork's pages in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded): every page, with JavaScript on and again with it
// off, passes axe-core's WCAG 2.2 A and AA rules, breaks no Content Security Policy rule, has one
// main heading, and is saved as a screenshot for people to look at.
//
// Usage: node pages.mjs PLAN.json — the plan is written by the Rust test (tests/app/browser.rs):
// {"base": "http://127.0.0.1:PORT", "screenshots": "DIR", "groups": [{"who": "...", "email": "...",
//   "password": "...", "steps": [{"visit": "/path", "status": 200, "fill": {"#id": "text"}, "submit": true}]}]}
// Screenshots go to DIR/javascript/ and DIR/no-javascript/, named by group, step and path.
// Prints what it found, ending with "checked N pages"; exits 1 if any page has a problem.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];
let checked = 0;

async function signIn(page, group) {
  await page.goto(`${plan.base}/sign-in`);
  await page.fill('#email', group.email);
  await page.fill('#password', group.password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  if (page.url().includes('/sign-in')) throw new Error(`${group.who} could not sign in`);
}

// A file name for step `index` of `group`: `service-admin-03-organisations-northshire.png`.
function screenshotName(group, index, s) {
  const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const path = slug(s.visit).slice(0, 50) || 'start';
  return `${slug(group.who)}-${String(index + 1).padStart(2, '0')}-${path}${s.submit ? '-sent' : ''}.png`;
}

async function step(page, group, s, index, javascript) {
  const response = await page.goto(`${plan.base}${s.visit}`);
  let status = response.status();
  if (s.fill || s.submit) {
    for (const [selector, text] of Object.entries(s.fill ?? {})) await page.fill(selector, text);
    const [answer] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    status = answer ? answer.status() : status;
  }
  const where = `${group.who} ${s.visit}${s.submit ? ' (form sent)' : ''}${javascript ? '' : ' without JavaScript'}`;
  if (s.status && status !== s.status) problems.push(`${where}: status ${status}, expected ${s.status}`);
  const h1 = await page.locator('main h1').count();
  if (h1 !== 1) problems.push(`${where}: ${h1} main headings`);
  const classes = await page.evaluate(() => `${document.documentElement.className} ${document.body.className}`);
  const started = /\bjs-enabled\b/.test(classes) && /\bgovuk-frontend-supported\b/.test(classes);
  if (javascript && !started) problems.push(`${where}: GOV.UK Frontend did not start (is the inline script's nonce right?)`);
  if (!javascript && /\bjs-enabled\b|\bgovuk-frontend-supported\b/.test(classes)) {
    problems.push(`${where}: JavaScript ran although it was turned off (classes: ${classes})`);
  }
  await page.screenshot({ path: join(plan.screenshots, javascript ? 'javascript' : 'no-javascript', screenshotName(group, index, s)), fullPage: true });
  // axe needs JavaScript (its promises and timers never run in a page without it), so a page seen
  // without JavaScript is checked as it stands, its scripts taken out, in a page that has it.
  let checking = page;
  if (!javascript) {
    shownWithoutJavaScript = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
    await axePage.goto(`${plan.base}/__axe`);
    checking = axePage;
  }
  await checking.evaluate(axeSource);
  const result = await checking.evaluate(() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
  for (const v of result.violations) {
    problems.push(`${where}: ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  }
  checked += 1;
}

for (const dir of ['javascript', 'no-javascript']) mkdirSync(join(plan.screenshots, dir), { recursive: true });
let shownWithoutJavaScript = '';
const axePage = await (await browser.newContext()).newPage();
await axePage.route(`${plan.base}/__axe`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: shownWithoutJavaScript }));
for (const javascript of [true, false]) {
  for (const group of plan.groups) {
    const context = await browser.newContext({ javaScriptEnabled: javascript });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/.test(message.text())) problems.push(`${group.who}: ${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${group.who}: ${page.url()}: script error ${error.message}`));
    try {
      if (group.email) await signIn(page, group);
      for (const [index, s] of group.steps.entries()) await step(page, group, s, index, javascript);
    } catch (error) {
      problems.push(`${group.who}: ${error.message}`);
    }
    await context.close();
  }
}
await browser.close();
for (const p of problems) console.log(`- ${p}`);
console.log(`${problems.length} problems`);
console.log(`checked ${checked} pages`);
process.exit(problems.length ? 1 : 0);
