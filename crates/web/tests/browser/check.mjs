// What every page seen in headless Chromium must be, shared by pages.mjs and returns.mjs: one
// main heading; GOV.UK Frontend started when JavaScript is on and not when it is off; no axe-core
// violation of WCAG 2.2 A and AA or best practice; and a full-page screenshot saved.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

// A checker for pages of `base`. axe needs JavaScript (its promises and timers never run in a page
// without it), so a page seen without JavaScript is checked as it stands, its scripts taken out,
// in a page of its own that has it.
export async function checker(browser, base) {
  let shownWithoutJavaScript = '';
  const axePage = await (await browser.newContext()).newPage();
  await axePage.route(`${base}/__axe`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: shownWithoutJavaScript }));
  return async function check(page, where, javascript, screenshot, problems) {
    const h1 = await page.locator('main h1').count();
    if (h1 !== 1) problems.push(`${where}: ${h1} main headings`);
    const classes = await page.evaluate(() => `${document.documentElement.className} ${document.body.className}`);
    const started = /\bjs-enabled\b/.test(classes) && /\bgovuk-frontend-supported\b/.test(classes);
    if (javascript && !started) problems.push(`${where}: GOV.UK Frontend did not start (is the inline script's nonce right?)`);
    if (!javascript && /\bjs-enabled\b|\bgovuk-frontend-supported\b/.test(classes)) {
      problems.push(`${where}: JavaScript ran although it was turned off (classes: ${classes})`);
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    let checking = page;
    if (!javascript) {
      shownWithoutJavaScript = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
      await axePage.goto(`${base}/__axe`);
      checking = axePage;
    }
    await checking.evaluate(axeSource);
    const result = await checking.evaluate((tags) => axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
    for (const v of result.violations.filter((v) => !knownGovukIssue(v))) {
      problems.push(`${where}: ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
    }
  };
}

// GOV.UK Frontend's own script sets `aria-expanded` on a radio or checkbox that reveals a
// conditional question. ARIA does not list it for those roles, so axe reports it; GOV.UK keeps it
// on purpose, because screen readers announce it (alphagov/govuk-frontend#979, a documented known
// issue). That one finding, and only on GOV.UK's inputs, is not counted.
function knownGovukIssue(violation) {
  return violation.id === 'aria-allowed-attr' && violation.nodes.every((n) =>
    /class="govuk-(radios|checkboxes)__input"/.test(n.html) && /aria-expanded/.test(n.failureSummary ?? '')
    && !/aria-(?!expanded|controls)[a-z]+=/.test((n.failureSummary ?? '').replace(/aria-expanded="(true|false)"/g, '')));
}

// Report Content Security Policy breaches and script errors on `page` as problems.
export function watch(page, who, problems) {
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) problems.push(`${who}: ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${who}: ${page.url()}: script error ${error.message}`));
}

// Sign in on the sign-in page.
export async function signIn(page, base, email, password) {
  await page.goto(`${base}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  if (page.url().includes('/sign-in')) throw new Error(`${email} could not sign in`);
}
