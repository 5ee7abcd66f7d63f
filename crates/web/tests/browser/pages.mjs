// Checks formwork's pages in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded): every page passes axe-core's WCAG 2.2 A and AA
// rules, breaks no Content Security Policy rule, and works with JavaScript turned off.
//
// Usage: node pages.mjs PLAN.json — the plan is written by the Rust test (tests/app/browser.rs):
// {"base": "http://127.0.0.1:PORT", "groups": [{"who": "...", "email": "...", "password": "...",
//   "steps": [{"visit": "/path", "status": 200, "fill": {"#id": "text"}, "submit": true}]}]}
// Prints what it found; exits 1 if any page has a problem.

import { readFileSync } from 'node:fs';
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

async function step(page, group, s, javascript) {
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
  if (!javascript) return;
  const jsEnabled = await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported'));
  if (!jsEnabled) problems.push(`${where}: GOV.UK Frontend did not start (is the inline script's nonce right?)`);
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
  for (const v of result.violations) {
    problems.push(`${where}: ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  }
  checked += 1;
}

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
      for (const s of group.steps) await step(page, group, s, javascript);
    } catch (error) {
      problems.push(`${group.who}: ${error.message}`);
    }
    await context.close();
  }
}
await browser.close();
console.log(`checked ${checked} pages with axe-core; ${problems.length} problems`);
for (const p of problems) console.log(`- ${p}`);
process.exit(problems.length ? 1 : 0);
