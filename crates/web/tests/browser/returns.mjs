// A data provider's whole journey through a towns-fund return in headless Chromium, on the demo's
// data: start the return from the dashboard, fill in every section — meeting errors and fixing
// them, adding table rows on the page, uploading a second table from its own CSV template,
// attaching a PDF, confirming a warning with a reason — and end with every section Completed.
// The spreadsheet upload is checked by a job: its own page reports the errors, takes the corrected
// file, then leads back to the section, where the rows' warning is confirmed.
// Then the return lives on: the certifier signs it off and it is submitted with a reference; a
// reviewer sends it back with a comment on one section; the data provider sees the comment and
// corrects the answer; the certifier signs again; the reviewer accepts it.
// Every page on the way passes check.mjs (axe-core, one heading, GOV.UK Frontend as expected) and
// is saved as a screenshot.
//
// Usage: node returns.mjs PLAN.json — the plan is written by the Rust test (tests/app/browser.rs):
// {"base", "screenshots", "password", "reviewer", "jobs" (the file to write to have the worker run),
//   "runs": [{"who", "javascript", "organisation",
//   "period", "editor", "finance", "certifier"}]}. Each run fills in its own return (one with JavaScript, one without).
// Prints what it found, ending with "completed N returns"; exits 1 if anything went wrong.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { checker, signIn, watch } from './check.mjs';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const check = await checker(browser, plan.base);
const problems = [];
let completed = 0;

// A small, real PDF: it starts as a PDF and ends with %%EOF.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

class Journey {
  constructor(run) {
    this.run = run;
    this.shots = 0;
    this.dir = join(plan.screenshots, run.javascript ? 'javascript' : 'no-javascript');
    mkdirSync(this.dir, { recursive: true });
  }

  async open(email) {
    const context = await browser.newContext({ javaScriptEnabled: this.run.javascript });
    this.page = await context.newPage();
    watch(this.page, this.run.who, problems);
    await signIn(this.page, plan.base, email, plan.password);
    return context;
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

  // Click and wait for the page that answers.
  async submit(locator) {
    const [response] = await Promise.all([this.page.waitForNavigation(), locator.click()]);
    return response;
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

  async expectNoErrors(name) {
    if (await this.page.locator('.govuk-error-summary').count()) {
      const summary = await this.page.locator('.govuk-error-summary').innerText();
      throw new Error(`${name}: unexpected errors:\n${summary}`);
    }
  }

  async fill(values) {
    for (const [selector, text] of Object.entries(values)) await this.page.fill(selector, text);
  }

  async choose(name, value) {
    await this.page.locator(`input[name="${name}"][value="${value}"]`).check();
  }

  async date(id, day, month, year) {
    await this.fill({ [`#${id}-day`]: day, [`#${id}-month`]: month, [`#${id}-year`]: year });
  }

  button(text) {
    return this.page.locator('main').getByRole('button', { name: text, exact: true });
  }

  async status(section) {
    const row = this.page.locator('.govuk-task-list__item', { hasText: section });
    return (await row.locator('.govuk-task-list__status').innerText()).trim();
  }

  async startReturn() {
    await this.go('/returns', 'dashboard');
    const start = this.page.locator(
      `form:has(input[name="organisation"][value="${this.run.organisation}"]):has(input[name="period"][value="${this.run.period}"]) button`,
    );
    await this.submit(start);
    const match = /\/returns\/([^/?#]+)$/.exec(new URL(this.page.url()).pathname);
    if (!match) throw new Error(`starting the return went to ${this.page.url()}`);
    this.id = match[1];
    await this.seen('task-list-new');
  }

  async programme() {
    await this.page.getByRole('link', { name: 'Programme details' }).click();
    await this.seen('programme');
    await this.fill({ '#programme_name': 'Harbour quarter regeneration', '#lead_contact_email': 'lead at harbour', '#grant_total': '£25,000,000' });
    await this.date('start_date', '1', '4', '2026');
    await this.date('end_date', '31', '3', '2025');
    await this.choose('overall_rag', 'amber');
    await this.choose('has_changes', 'yes');
    await this.page.fill('#change_details', 'The cinema project moved to the old library building.');
    await this.choose('completed', 'yes');
    await this.submit(this.button('Save and continue'));
    await this.expectErrors('programme-errors', 'email address', 'end date');
    if ((await this.page.inputValue('#grant_total')) !== '£25,000,000') problems.push(`${this.run.who}: the typed grant was not kept`);
    await this.fill({ '#lead_contact_email': 'lead@harbour.example' });
    await this.date('end_date', '31', '3', '2029');
    await this.choose('completed', 'yes');
    await this.submit(this.button('Save and continue'));
    await this.expectNoErrors('programme');
  }

  async addRow(table, cells, choices, name) {
    await this.page.goto(`${plan.base}/returns/${this.id}/sections/${table}/rows/new`);
    await this.fill(cells);
    for (const [question, value] of Object.entries(choices)) await this.choose(question, value);
    await this.submit(this.button('Save and continue'));
    if (name) await this.seen(name);
  }

  async markTableComplete(table) {
    await this.go(`/returns/${this.id}/sections/${table}`, `${table}-table`);
    await this.choose('completed', 'yes');
    await this.submit(this.button('Save and continue'));
    await this.expectNoErrors(table);
  }

  async projects() {
    await this.go(`/returns/${this.id}/sections/projects`, 'projects-empty');
    await this.submit(this.page.getByRole('button', { name: 'Add another row' }).or(this.page.getByRole('link', { name: 'Add another row' })));
    await this.seen('projects-new-row');
    await this.fill({ '#project_id': 'TF-1', '#project_name': 'Old library cinema', '#percent_complete': '40' });
    await this.choose('theme', 'culture');
    await this.choose('rag', 'amber');
    await this.submit(this.button('Save and continue'));
    await this.expectErrors('projects-row-errors', 'project ID', 'reason for the delay');
    await this.fill({ '#project_id': 'TF-HAR-01', '#delay_reason': 'Listed building consent took longer than planned' });
    await this.submit(this.button('Save and continue'));
    await this.expectNoErrors('projects row 1');
    await this.addRow('projects', { '#project_id': 'TF-HAR-02', '#project_name': 'Harbour walkway', '#percent_complete': '10' }, { theme: 'transport', rag: 'green' });
    await this.expectNoErrors('projects row 2');
    await this.markTableComplete('projects');
  }

  async outputs() {
    await this.addRow('outputs', { '#project_id': 'TF-HAR-01', '#indicator': 'Floorspace repurposed', '#unit': 'square metres', '#actual': '1200' }, {}, 'outputs-row-saved');
    await this.expectNoErrors('outputs row');
    await this.markTableComplete('outputs');
  }

  async evidence() {
    await this.go(`/returns/${this.id}/files/board_minutes`, 'evidence-file');
    await this.page.setInputFiles('#file', { name: 'board-minutes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('These minutes are only text.\n') });
    await this.submit(this.button('Upload the file'));
    await this.expectErrors('evidence-file-not-a-pdf', 'not a real PDF');
    await this.page.setInputFiles('#file', { name: 'board-minutes.pdf', mimeType: 'application/pdf', buffer: PDF });
    await this.submit(this.button('Upload the file'));
    await this.expectNoErrors('evidence upload');
    await this.go(`/returns/${this.id}/files/board_minutes`, 'evidence-file-attached');
    const sha = await this.page.locator('main').innerText();
    if (!/[0-9a-f]{64}/.test(sha)) problems.push(`${this.run.who}: the attached file's SHA-256 is not shown`);
    await this.go(`/returns/${this.id}/sections/evidence`, 'evidence');
    await this.choose('completed', 'yes');
    await this.submit(this.button('Save and continue'));
    await this.expectNoErrors('evidence');
  }

  // Send the file chosen on the page: it is checked by a job, which the Rust test runs when asked
  // (by writing the file `plan.jobs`); follow the upload's page until it shows `state`.
  async uploadAndFollow(csv, state) {
    await this.page.setInputFiles('#file', { name: 'spend.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await this.submit(this.button('Upload and check'));
    if (!/\/uploads\/[^/?#]+$/.test(new URL(this.page.url()).pathname)) throw new Error(`the upload went to ${this.page.url()}`);
    await this.followUpload(state);
  }

  async followUpload(state) {
    writeFileSync(plan.jobs, 'run');
    const finished = `[data-upload-state="${state}"]`;
    if (this.run.javascript) {
      await this.page.waitForSelector(finished, { timeout: 20000 });
      await this.page.waitForLoadState('load');
      return;
    }
    for (let tries = 0; !(await this.page.locator(finished).count()); tries += 1) {
      if (tries > 40) throw new Error(`the upload did not become ${state}: ${await this.page.locator('main').innerText()}`);
      await this.page.waitForTimeout(250);
      await this.submit(this.page.locator('main').getByRole('link', { name: 'Refresh', exact: true }));
    }
  }

  async spend() {
    await this.go(`/returns/${this.id}/sections/spend`, 'spend-empty');
    const href = await this.page.getByRole('link', { name: /Download the CSV template/ }).getAttribute('href');
    const template = await (await this.page.request.get(`${plan.base}${href}`)).text();
    const header = template.split(/\r?\n/)[0];
    const rows = (amount) => [
      header,
      `TF-HAR-01,Q3,Towns Fund,${amount}`,
      'TF-HAR-01,Q3,Private investment,250000',
      'TF-HAR-02,Q3,Towns Fund,6000000',
    ].join('\n');
    await this.uploadAndFollow(rows('a lot'), 'failed');
    await this.expectErrors('spend-upload-errors', 'Amount spent');
    // The corrected file, from the report's own form: its rows replace the table, and its one
    // warning is confirmed on the section, as any other answer's is.
    await this.uploadAndFollow(rows('1200000.50'), 'stored');
    await this.seen('spend-uploaded');
    await this.submit(this.page.locator('main').getByRole('link', { name: 'Go back to the section' }).first());
    await this.expectNoErrors('spend upload');
    const rowsShown = await this.page.locator('#rows-count').innerText();
    if (!rowsShown.includes('3')) problems.push(`${this.run.who}: after the upload the spend table says “${rowsShown}”`);
    // The section confirms the uploaded rows' warning.
    await this.page.fill('form[action$="/warnings"] input[name="reason"]', 'The walkway contract was paid in one instalment, as agreed with the fund.');
    await this.submit(this.page.locator('form[action$="/warnings"] button'));
    await this.expectNoErrors('spend warning');
    await this.seen('spend-warning-confirmed');
    await this.markTableComplete('spend');
  }

  async finish() {
    await this.go(`/returns/${this.id}`, 'task-list-complete');
    for (const section of ['Programme details', 'Project progress', 'Spend to date', 'Outputs', 'Supporting evidence']) {
      const status = await this.status(section);
      if (status !== 'Completed') problems.push(`${this.run.who}: ${section} is “${status}”, not Completed`);
    }
    await this.go(`/returns/${this.id}/sections/programme/check`, 'check-programme');
    await this.go(`/returns/${this.id}/sections/spend/rows/0`, 'spend-row');
    await this.go(`/returns/${this.id}/sections/spend/rows/0/remove`, 'spend-row-remove');
    await this.go(`/returns/${this.id}/check`, 'check-answers');
    await this.go(`/returns/${this.id}/history`, 'history');
  }

  expect(name, text, wanted) {
    if (!text.includes(wanted)) problems.push(`${this.run.who}: ${name}: the page does not say “${wanted}”`);
  }

  // A link that looks like a button (GOV.UK gives it the button role).
  linkButton(text) {
    return this.page.locator('main a.govuk-button').getByText(text, { exact: true });
  }

  async mainText() {
    return this.page.locator('main').innerText();
  }

  // The certifier reads the whole return, must tick the declaration, and signs: the return is
  // submitted and its reference shown in the confirmation panel.
  async signOff(suffix) {
    await this.go(`/returns/${this.id}`, `task-list-ready${suffix}`);
    await this.submit(this.linkButton('Sign off this return'));
    await this.seen(`sign-off${suffix}`);
    this.expect('sign-off', await this.mainText(), 'Harbour walkway');
    if (!suffix) {
      await this.submit(this.button('Sign off and submit'));
      await this.expectErrors('sign-off-not-confirmed', 'Confirm the declaration to sign off this return');
    }
    await this.page.locator('#confirm').check();
    await this.submit(this.button('Sign off and submit'));
    if (!this.page.url().endsWith(`/returns/${this.id}/submitted`)) throw new Error(`signing off went to ${this.page.url()}`);
    await this.seen(`submitted${suffix}`);
    const reference = (await this.page.locator('.govuk-panel__body strong').innerText()).trim();
    if (!/^[A-Z]+-\d{4}Q\d-[A-Z0-9]{4}$/.test(reference)) problems.push(`${this.run.who}: the reference “${reference}” is not one people can quote`);
    if (this.reference && this.reference !== reference) problems.push(`${this.run.who}: submitted again as ${reference}, not ${this.reference}`);
    this.reference = reference;
  }

  // The reviewer finds it in the queue, reads it, and sends it back with a comment on one section.
  async returnForChanges() {
    await this.go('/review', 'review-queue');
    await this.submit(this.page.locator(`main a[href="/review/${this.id}"]`));
    await this.seen('review-return');
    this.expect('review', await this.mainText(), this.reference);
    await this.submit(this.linkButton('Return for changes'));
    await this.seen('return-for-changes');
    await this.submit(this.button('Return for changes'));
    await this.expectErrors('return-without-comment', 'Enter a comment on at least one section');
    await this.page.fill('textarea[name="comments.programme"]', COMMENT);
    await this.submit(this.button('Return for changes'));
    await this.expectNoErrors('return for changes');
    await this.seen('returned');
    this.expect('returned', await this.mainText(), 'Changes requested');
  }

  // The data provider sees the comment on the task list and the section, and corrects the answer.
  async correct() {
    await this.go(`/returns/${this.id}`, 'task-list-changes-requested');
    this.expect('task list', await this.mainText(), COMMENT);
    await this.page.locator('.govuk-task-list').getByRole('link', { name: 'Programme details' }).click();
    await this.seen('programme-with-comment');
    this.expect('programme', await this.mainText(), COMMENT);
    await this.fill({ '#grant_total': '£24,000,000' });
    await this.choose('completed', 'yes');
    await this.submit(this.button('Save and continue'));
    await this.expectNoErrors('programme corrected');
  }

  // The reviewer accepts the return submitted again.
  async accept() {
    await this.go(`/review/${this.id}`, 'review-resubmitted');
    await this.submit(this.linkButton('Accept'));
    await this.seen('accept');
    await this.submit(this.button('Accept return'));
    await this.expectNoErrors('accept');
    await this.seen('accepted');
    this.expect('accepted', await this.mainText(), 'The return has been accepted');
    // Reopening asks for a reason first (the journey leaves the return accepted).
    await this.go(`/returns/${this.id}/reopen`, 'reopen');
    await this.submit(this.button('Reopen return'));
    await this.expectErrors('reopen-without-reason', 'Enter why the return is being reopened');
  }
}

// What the reviewer asks the data providers to change.
const COMMENT = 'The grant total does not match the grant offer letter: check it and correct it.';

for (const run of plan.runs) {
  const journey = new Journey(run);
  try {
    let context = await journey.open(run.editor);
    await journey.startReturn();
    await journey.programme();
    await journey.projects();
    await journey.outputs();
    await journey.evidence();
    await context.close();
    context = await journey.open(run.finance);
    await journey.spend();
    await journey.finish();
    await context.close();
    for (const [who, step] of [
      [run.certifier, () => journey.signOff('')],
      [plan.reviewer, () => journey.returnForChanges()],
      [run.editor, () => journey.correct()],
      [run.certifier, () => journey.signOff('-again')],
      [plan.reviewer, () => journey.accept()],
    ]) {
      context = await journey.open(who);
      await step();
      await context.close();
    }
    completed += 1;
  } catch (error) {
    problems.push(`${run.who}: ${error.message}`);
    if (journey.page) await journey.page.screenshot({ path: join(journey.dir, 'failed.png'), fullPage: true }).catch(() => {});
  }
}
await browser.close();
for (const p of problems) console.log(`- ${p}`);
console.log(`${problems.length} problems`);
console.log(`completed ${completed} returns`);
process.exit(problems.length ? 1 : 0);
