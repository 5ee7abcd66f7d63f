// A data provider's bulk upload of lettings in headless Chromium: enter one record on the web,
// then upload a CSV of lettings with errors, read the report (the summary and every error at its
// row), download the file with the errors marked (a real XLSX), upload the corrected file from the
// report's own form, see it stored, and find its records in the list beside the one entered on
// the web. With JavaScript the upload's page follows the check by itself; without, the person
// uses its Refresh link. Every page on the way passes check.mjs and is saved as a screenshot.
//
// The worker runs only when asked, so that each upload's page is first seen while its file waits
// to be checked: the script asks by writing the file `plan.jobs`, which the Rust test watches.
//
// Usage: node uploads.mjs PLAN.json — the plan is written by the Rust test (tests/app/browser.rs):
// {"base", "screenshots", "password", "jobs", "runs": [{"who", "javascript", "organisation",
//   "email", "bad": {"csv", "errors", "row"}, "good": {"csv", "records", "code"}, "web_code"}]}.
// Prints what it found, ending with "completed N journeys"; exits 1 if anything went wrong.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { checker, signIn, watch } from './check.mjs';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const check = await checker(browser, plan.base);
const problems = [];
let completed = 0;

class Journey {
  constructor(run) {
    this.run = run;
    this.shots = 0;
    this.dir = join(plan.screenshots, run.javascript ? 'javascript' : 'no-javascript');
    mkdirSync(this.dir, { recursive: true });
    this.records = `/organisations/${run.organisation}/records/lettings-log`;
  }

  async open() {
    this.context = await browser.newContext({ javaScriptEnabled: this.run.javascript });
    this.page = await this.context.newPage();
    watch(this.page, this.run.who, problems);
    await signIn(this.page, plan.base, this.run.email, plan.password);
  }

  // Check the page now shown, and save its screenshot as NN-name.png.
  async seen(name) {
    this.shots += 1;
    const where = `${this.run.who}: ${name} (${this.page.url().replace(plan.base, '')})`;
    await check(this.page, where, this.run.javascript, join(this.dir, `${String(this.shots).padStart(2, '0')}-${name}.png`), problems);
  }

  async go(path, name) {
    const response = await this.page.goto(`${plan.base}${path}`);
    if (response.status() !== 200) throw new Error(`${path}: status ${response.status()}`);
    await this.seen(name);
  }

  async submit(locator) {
    const [response] = await Promise.all([this.page.waitForNavigation(), locator.click()]);
    return response;
  }

  button(text) {
    return this.page.locator('main').getByRole('button', { name: text, exact: true });
  }

  async mainText() {
    return this.page.locator('main').innerText();
  }

  expect(name, text, wanted) {
    if (!text.includes(wanted)) problems.push(`${this.run.who}: ${name}: the page does not say “${wanted}”`);
  }

  async expectErrors(name, ...messages) {
    const title = await this.page.title();
    if (!title.startsWith('Error: ')) problems.push(`${this.run.who}: ${name}: the title “${title}” does not start “Error: ”`);
    const summary = await this.page.locator('.govuk-error-summary').innerText().catch(() => '');
    for (const m of messages) {
      if (!summary.includes(m)) problems.push(`${this.run.who}: ${name}: the error summary does not say “${m}”:\n${summary}`);
    }
    await this.seen(name);
  }

  // One record entered on the web: its first section, which holds its key.
  async enterRecord() {
    await this.go(this.records, 'records-empty');
    await this.submit(this.button('Add a record'));
    const match = /\/records\/([^/?#]+)$/.exec(new URL(this.page.url()).pathname);
    if (!match) throw new Error(`adding a record went to ${this.page.url()}`);
    await this.go(`/records/${match[1]}/sections/setup`, 'record-setup');
    await this.page.fill('#owning_org_code', 'WEB01');
    await this.page.fill('#tenancy_start-day', '1');
    await this.page.fill('#tenancy_start-month', '5');
    await this.page.fill('#tenancy_start-year', '2026');
    await this.page.fill('#tenancy_code', this.run.web_code);
    await this.page.locator('input[name="needs_type"][value="1"]').check();
    await this.page.locator('input[name="rent_type"][value="0"]').check();
    await this.page.locator('input[name="is_renewal"][value="no"]').check();
    await this.submit(this.button('Save and come back later'));
    if (await this.page.locator('.govuk-error-summary').count()) {
      throw new Error(`saving the record's first section: ${await this.page.locator('.govuk-error-summary').innerText()}`);
    }
  }

  // Send the file chosen on the page, land on its upload's page while it waits to be checked, let
  // the worker check it, and follow the page until it shows `state`.
  async sendAndFollow(name, state) {
    await this.submit(this.button('Upload and check'));
    if (!/\/uploads\/[^/?#]+$/.test(new URL(this.page.url()).pathname)) throw new Error(`the upload went to ${this.page.url()}`);
    if (!this.run.javascript) await this.seen(`${name}-checking`);
    this.expect(`${name}-checking`, await this.mainText(), 'Refresh');
    writeFileSync(plan.jobs, 'run');
    const finished = `[data-upload-state="${state}"]`;
    if (this.run.javascript) {
      // The page fetches itself every 2 seconds, and loads the outcome by itself.
      await this.page.waitForSelector(finished, { timeout: 20000 });
      await this.page.waitForLoadState('load');
      return;
    }
    for (let tries = 0; !(await this.page.locator(finished).count()); tries += 1) {
      if (tries > 40) throw new Error(`${name}: the upload did not become ${state}: ${await this.mainText()}`);
      await this.page.waitForTimeout(250);
      await this.submit(this.page.locator('main').getByRole('link', { name: 'Refresh', exact: true }));
    }
  }

  async uploadWithErrors() {
    await this.go(this.records, 'records-one');
    // A link that looks like a button (GOV.UK gives it the button role).
    await this.submit(this.page.locator('main a.govuk-button', { hasText: 'Upload records' }));
    await this.seen('upload-form');
    const template = await this.page.getByRole('link', { name: /Download the CSV template/ }).getAttribute('href');
    const header = (await (await this.page.request.get(`${plan.base}${template}`)).text()).split(/\r?\n/)[0];
    if (header !== this.run.bad.csv.split(/\r?\n/)[0]) problems.push(`${this.run.who}: the CSV template's header is not the file's`);
    await this.submit(this.button('Upload and check'));
    await this.expectErrors('upload-no-file', 'Select a CSV or XLSX file');
    await this.page.setInputFiles('#file', { name: 'lettings.csv', mimeType: 'text/csv', buffer: Buffer.from(this.run.bad.csv) });
    await this.sendAndFollow('upload', 'failed');
    const errors = this.run.bad.errors;
    await this.expectErrors('upload-report', `Your file has ${errors} error${errors === 1 ? '' : 's'}. Nothing was stored`);
    const text = await this.mainText();
    this.expect('report', text, 'Summary of the errors');
    const row = this.page.locator('main table').last().locator('tbody tr', { hasText: this.run.bad.column }).first();
    if (!(await row.innerText().catch(() => '')).includes(String(this.run.bad.row))) {
      problems.push(`${this.run.who}: the list of errors has no error in ${this.run.bad.column} at row ${this.run.bad.row}`);
    }
    // The file with its errors marked: a real workbook (an XLSX is a zip: it starts "PK").
    const marked = await this.page.getByRole('link', { name: /Download your file with the errors marked/ }).getAttribute('href');
    const workbook = await this.page.request.get(`${plan.base}${marked}`);
    const bytes = await workbook.body();
    if (workbook.status() !== 200 || bytes.subarray(0, 2).toString() !== 'PK') problems.push(`${this.run.who}: the marked-up file is not a workbook`);
    if (!workbook.headers()['content-type']?.includes('spreadsheetml')) problems.push(`${this.run.who}: the marked-up file is sent as ${workbook.headers()['content-type']}`);
    if (!/filename="lettings-errors\.xlsx"/.test(workbook.headers()['content-disposition'] ?? '')) problems.push(`${this.run.who}: the marked-up file is not lettings-errors.xlsx`);
  }

  async uploadCorrected() {
    await this.page.setInputFiles('#file', { name: 'lettings-corrected.csv', mimeType: 'text/csv', buffer: Buffer.from(this.run.good.csv) });
    await this.sendAndFollow('corrected', 'stored');
    await this.seen('upload-stored');
    const panel = await this.page.locator('.govuk-panel').innerText();
    if (!panel.includes(`${this.run.good.records} records stored`)) problems.push(`${this.run.who}: the panel says “${panel}”`);
    await this.submit(this.page.locator('main').getByRole('link', { name: /See the .* records/ }));
    await this.seen('records-with-upload');
    const list = await this.mainText();
    this.expect('records', list, this.run.web_code);
    this.expect('records', list, this.run.good.code);
    this.expect('records', list, `${this.run.good.records + 1}`);
    await this.go(`/organisations/${this.run.organisation}/uploads`, 'uploads');
    const uploads = await this.mainText();
    this.expect('uploads', uploads, 'Has errors');
    this.expect('uploads', uploads, 'Stored');
  }
}

for (const run of plan.runs) {
  const journey = new Journey(run);
  try {
    await journey.open();
    await journey.enterRecord();
    await journey.uploadWithErrors();
    await journey.uploadCorrected();
    await journey.context.close();
    completed += 1;
  } catch (error) {
    problems.push(`${run.who}: ${error.message}`);
    if (journey.page) await journey.page.screenshot({ path: join(journey.dir, 'failed.png'), fullPage: true }).catch(() => {});
  }
}
await browser.close();
for (const p of problems) console.log(`- ${p}`);
console.log(`${problems.length} problems`);
console.log(`completed ${completed} journeys`);
process.exit(problems.length ? 1 : 0);
