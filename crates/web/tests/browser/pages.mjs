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
import { chromium } from 'playwright-core';
import { checker, signIn, watch } from './check.mjs';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const check = await checker(browser, plan.base);
const problems = [];
let checked = 0;

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
  await check(page, where, javascript, join(plan.screenshots, javascript ? 'javascript' : 'no-javascript', screenshotName(group, index, s)), problems);
  checked += 1;
}

for (const dir of ['javascript', 'no-javascript']) mkdirSync(join(plan.screenshots, dir), { recursive: true });
for (const javascript of [true, false]) {
  for (const group of plan.groups) {
    const context = await browser.newContext({ javaScriptEnabled: javascript });
    const page = await context.newPage();
    watch(page, group.who, problems);
    try {
      if (group.email) await signIn(page, plan.base, group.email, group.password);
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
