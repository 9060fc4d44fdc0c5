import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTcp } from '../helpers/console.ts';
import { launchBrowser, saveFailureReport, screenshot, ServeProcess, watchPage } from './harness.ts';

let serve: ServeProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  serve = await ServeProcess.start(undefined, { echo6: true });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', acceptDownloads: true });
  page = await context.newPage();
  problems = watchPage(page);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await saveFailureReport(ctx.task.name, serve, context, problems);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await browser?.close();
  const code = await serve?.stop();
  expect(code).toBe(0);
});

/** A connection from a chosen loopback address that reads its echo, so the peer's close is seen. */
async function openFrom(localAddress: string): Promise<Socket> {
  const socket = await openTcp(serve.echoPort, localAddress);
  socket.on('error', () => undefined);
  socket.resume();
  socket.write(`hello from ${localAddress}\n`);
  sockets.push(socket);
  return socket;
}

/** Connects, writes, and reports what came back before the socket ended (or the wait ran out). */
function probe(localAddress: string, waitMs = 1500): Promise<{ echoed: string; closed: boolean }> {
  return new Promise((resolve) => {
    let echoed = '';
    const socket = connect({ host: '127.0.0.1', port: serve.echoPort, localAddress });
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ echoed, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write('ping\n'));
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

async function setTheme(theme: 'light' | 'dark'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.getByTestId('theme-toggle').click();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
}

const ruleRow = (name: string) => page.getByTestId('rule-row').filter({ hasText: name });
const toastText = () => page.getByTestId('toast').allTextContents();
const statValue = async (testId: string) => Number((await page.getByTestId(testId).locator('.stat-value').textContent())?.replaceAll(',', ''));

/** One cell of a row in a virtual table, found by its column's header (narrow windows drop some columns). */
async function cellText(tableTestId: string, row: Locator, header: string): Promise<string | null> {
  const headers = await page.getByTestId(tableTestId).getByRole('columnheader').allTextContents();
  expect(headers).toContain(header);
  return row.getByRole('gridcell').nth(headers.indexOf(header)).textContent();
}

async function testConnection(source: string): Promise<{ action: string | null; text: string }> {
  await page.getByTestId('test-source').fill(source);
  await page.getByTestId('test-destination').selectOption('echo');
  await expect.poll(() => page.getByTestId('test-port').inputValue()).toBe(String(serve.echoPort));
  await page.getByTestId('test-submit').click();
  const result = page.getByTestId('test-result');
  await expect.poll(() => result.textContent()).toContain(`${source} → echo:${serve.echoPort}`);
  return { action: await result.getAttribute('data-action'), text: (await result.textContent()) ?? '' };
}

describe('the Firewall screen against netops serve', () => {
  it('opens the console and answers firewall calls', async () => {
    await page.goto(serve.url);
    await expect.poll(() => page.getByTestId('status-badge').getAttribute('data-status'), { timeout: 15_000 }).toBe('connected');
    await page.keyboard.press('g');
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/firewall');
    await expect.poll(() => page.getByTestId('default-policy').getAttribute('data-policy')).toBe('allow');
    await expect.poll(() => page.getByTestId('rules-table').textContent()).toContain('No rules yet');
  });

  it('blocks a peer from the Connections screen and the server closes its connection', async () => {
    const blocked = await openFrom('127.0.0.2');
    const bystander = await openFrom('127.0.0.3');
    const blockedClosed = new Promise<void>((resolve) => blocked.once('close', () => resolve()));
    await page.getByTestId('nav-connections').click();
    // The console's own HTTP and WebSocket connections are rows too; only the echo clients matter here.
    await page.getByTestId('connections-search').fill('owner:echo');
    await expect.poll(() => page.getByTestId('connections-count').textContent()).toBe('2');

    await page.getByTestId('connection-row').filter({ hasText: '127.0.0.2' }).click();
    await page.getByTestId('block-ip').click();
    await expect.poll(() => page.getByTestId('block-dialog').isVisible()).toBe(true);
    await page.getByTestId('block-dialog-reason').fill('e2e: blocked from the Connections screen');
    await page.getByTestId('confirm-block').click();

    await blockedClosed;
    await expect.poll(toastText).toContainEqual(expect.stringContaining('1 connection from it closed'));
    await expect.poll(() => page.getByTestId('connections-count').textContent()).toBe('1');
    expect(bystander.destroyed).toBe(false);

    // The b key asks the same question for the selected row.
    await page.getByTestId('connection-row').filter({ hasText: '127.0.0.3' }).click();
    await page.getByTestId('connections-table').focus();
    await page.keyboard.press('b');
    await expect.poll(() => page.getByTestId('block-dialog').textContent()).toContain('127.0.0.3');
    // All of 127.0.0.0/8 is loopback, which the anti-lockout rule lets reach the console; 127.0.0.3 has no connection there.
    // The dialog learns of the anti-lockout rule from the firewall's state, which it asks for when it opens.
    await expect.poll(() => page.getByTestId('block-dialog').textContent()).toContain('refused everywhere but this console, and the server closes the 1 connection it has open elsewhere now.');
    expect(await page.getByTestId('block-dialog-anti-lockout').textContent()).toContain('(anti-lockout), so the block leaves the console alone.');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('block-dialog').isVisible()).toBe(false);

    // This browser reaches the console from loopback, which the anti-lockout rule always admits: the dialog says the block spares it.
    // Asked from the row's own button, which leaves the selection (127.0.0.3's row, filtered out now) alone.
    await page.getByTestId('connections-search').fill('owner:console');
    await expect.poll(() => page.getByTestId('connection-row').count()).toBeGreaterThan(0);
    await page.getByTestId('connection-row').first().getByTestId('row-block-ip').click();
    await expect.poll(() => page.getByTestId('block-dialog').textContent()).toContain('Block 127.0.0.1');
    expect(await page.locator('[data-testid="connection-row"].is-selected').count()).toBe(0);
    await expect
      .poll(() => page.getByTestId('block-dialog-anti-lockout').textContent())
      .toMatch(/always reaches this console \(anti-lockout\), so the block leaves the console and the \d+ connections? it has open to it alone\./);
    await screenshot(page, 'block-dialog-loopback-light');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('block-dialog').isVisible()).toBe(false);
    await page.getByTestId('connections-search').fill('owner:echo');

    // An echo client's own button asks about that client, not this host's end of the connection; the expiry reaches the block.
    await openFrom('127.0.0.8');
    await expect.poll(() => page.getByTestId('connections-count').textContent()).toBe('2');
    await page.getByTestId('connection-row').filter({ hasText: '127.0.0.8' }).getByTestId('row-block-ip').click();
    await expect.poll(() => page.getByTestId('block-dialog').textContent()).toContain('Block 127.0.0.8');
    await page.getByTestId('block-dialog-ttl').fill('5m');
    await page.getByTestId('confirm-block').click();
    await expect.poll(toastText).toContainEqual(expect.stringContaining('The block expires in 5m.'));
    await expect.poll(() => page.getByTestId('connections-count').textContent()).toBe('1');
  });

  it("offers an IPv6 peer's /64 in the block dialog, and blocking it closes the peer's connection", async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const client = connect({ host: '::1', port: serve.echo6Port });
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
    sockets.push(socket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await page.getByTestId('connections-search').fill('owner:echo6');
    await expect.poll(() => page.getByTestId('connections-count').textContent()).toBe('1');
    await page.getByTestId('connection-row').first().getByTestId('row-block-ip').click();
    await expect.poll(() => page.getByTestId('block-dialog').isVisible()).toBe(true);
    // The address by default; its /64 one click away.
    expect(await page.getByTestId('block-scope-address').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('confirm-block').textContent()).toBe('Block ::1');
    await page.getByTestId('block-scope-network').click();
    await expect.poll(() => page.getByTestId('confirm-block').textContent()).toBe('Block ::/64');
    expect(await page.getByTestId('block-dialog').textContent()).toContain('::/64 goes on the blocklist');
    await page.getByTestId('block-dialog-reason').fill('e2e: an IPv6 network');
    await screenshot(page, 'block-dialog-ipv6-network-light');
    await page.getByTestId('confirm-block').click();
    await closed;
    await expect.poll(toastText).toContainEqual(expect.stringContaining('Blocked ::/64'));
    // Off the list again, so that what follows sees the blocklist it expects.
    await page.getByTestId('nav-firewall').click();
    const row = page.locator('[data-testid="block-row"][data-address="::/64"]');
    await expect.poll(() => row.textContent()).toContain('e2e: an IPv6 network');
    await row.getByTestId('unblock').click();
    await expect.poll(() => row.count()).toBe(0);
    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connections-search').fill('owner:echo');
  });

  it('lists the block on the Firewall screen, refuses the address, and blocks with a countdown', async () => {
    await page.getByTestId('nav-firewall').click();
    const fromDialog = page.locator('[data-testid="block-row"][data-address="127.0.0.8"]');
    await expect.poll(() => fromDialog.textContent()).toMatch(/expires in (5m 00s|4m \d\ds)/);
    await fromDialog.getByTestId('unblock').click();
    await expect.poll(() => fromDialog.count()).toBe(0);

    const row = page.locator('[data-testid="block-row"][data-address="127.0.0.2"]');
    await expect.poll(() => row.textContent()).toContain('permanent');
    expect(await row.textContent()).toContain('e2e: blocked from the Connections screen');
    const hitsBefore = Number(await cellText('blocklist-table', row, 'Hits'));
    const deniedBefore = await statValue('stat-denied');
    const byBlocklistBefore = await statValue('stat-denied-blocklist');
    expect((await probe('127.0.0.2')).echoed).toBe('');
    // The refusal counts on the entry, on the counters, and shows in the feed with its reason.
    await expect.poll(() => cellText('blocklist-table', row, 'Hits')).toBe(String(hitsBefore + 1));
    await expect.poll(() => statValue('stat-denied-blocklist')).toBe(byBlocklistBefore + 1);
    await expect.poll(() => statValue('stat-denied')).toBe(deniedBefore + 1);
    const refusal = page.locator('[data-testid="decision-row"][data-source="127.0.0.2"]').first();
    await expect.poll(() => refusal.getAttribute('data-action')).toBe('deny');
    expect(await cellText('decisions-table', refusal, 'Reason')).toBe('blocklist');

    // validation as you type
    await page.getByTestId('block-address').fill('198.51.100.300');
    await expect.poll(() => page.locator('[data-testid="field-error"][data-field="address"]').isVisible()).toBe(true);
    expect(await page.getByTestId('block-submit').isDisabled()).toBe(true);
    await page.getByTestId('block-address').fill('127.0.0.9');
    await page.getByTestId('block-ttl').fill('10 minutes');
    await expect.poll(() => page.locator('[data-testid="field-error"][data-field="ttl"]').isVisible()).toBe(true);
    await page.getByTestId('block-ttl').fill('10m');
    await page.getByTestId('block-reason').fill('e2e: short block');
    await expect.poll(() => page.getByTestId('field-error').count()).toBe(0);
    await page.getByTestId('block-submit').click();
    const timed = page.locator('[data-testid="block-row"][data-address="127.0.0.9"]');
    await expect.poll(() => timed.textContent()).toMatch(/expires in (10m 00s|9m \d\ds)/);
    // The countdown itself ticks, not only the age beside it.
    const countdown = async () => /expires in \d+m \d\ds/.exec((await timed.textContent()) ?? '')?.[0];
    const first = await countdown();
    expect(first).toBeDefined();
    await expect.poll(countdown, { timeout: 4000 }).not.toBe(first);

    // The filter box matches the reason as well as the address.
    const blocklistFilter = page.getByRole('searchbox', { name: 'Filter the blocklist' });
    await blocklistFilter.fill('short block');
    await expect
      .poll(() => page.getByTestId('block-row').evaluateAll((rows) => rows.map((element) => element.getAttribute('data-address'))))
      .toEqual(['127.0.0.9']);
    expect(await page.getByTestId('blocklist-count').textContent()).toBe('1 of 2');
    await blocklistFilter.fill('');
    await expect.poll(() => page.getByTestId('blocklist-count').textContent()).toBe('2');

    await timed.getByTestId('unblock').click();
    await expect.poll(() => timed.count()).toBe(0);
  });

  it('adds a deny rule through the form, and new connections from its source are refused', async () => {
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Deny 127.0.0.3 to echo');
    await page.getByTestId('rule-action').selectOption('deny');
    await page.getByTestId('rule-protocol').selectOption('tcp');
    // errors show under their field while typing, and Save waits for a valid form
    await page.getByTestId('rule-source').fill('127.0.0.300');
    await expect.poll(() => page.locator('[data-testid="field-error"][data-field="source"]').textContent()).toMatch(/IP or CIDR/);
    await page.getByTestId('rule-ports').fill('70000');
    await expect.poll(() => page.locator('[data-testid="field-error"][data-field="ports"]').textContent()).toContain('out of range');
    const ruleFieldError = (field: string) => page.getByTestId('rule-dialog').locator(`[data-testid="field-error"][data-field="${field}"]`);
    await page.getByTestId('rule-destination').fill('not a listener!');
    await expect.poll(() => ruleFieldError('destination').textContent()).toMatch(/listener name/);
    const priority = await page.getByTestId('rule-priority').inputValue();
    await page.getByTestId('rule-priority').fill('soon');
    await expect.poll(() => ruleFieldError('priority').textContent()).toBe('A whole number from 0 to 1,000,000');
    await page.getByTestId('rule-name').fill('');
    await expect.poll(() => ruleFieldError('name').textContent()).toBe('Give the rule a name');
    expect(await page.getByTestId('rule-save').isDisabled()).toBe(true);
    await page.getByTestId('rule-name').fill('Deny 127.0.0.3 to echo');
    await page.getByTestId('rule-priority').fill(priority);
    await page.getByTestId('rule-source').fill('127.0.0.3');
    await page.getByTestId('rule-ports').fill(String(serve.echoPort));
    await page.getByTestId('rule-destination').fill('echo');
    await expect.poll(() => page.getByTestId('rule-dialog').getByTestId('field-error').count()).toBe(0);
    await page.getByTestId('rule-save').click();

    await expect.poll(() => ruleRow('Deny 127.0.0.3 to echo').count()).toBe(1);
    const row = ruleRow('Deny 127.0.0.3 to echo');
    expect(await row.getAttribute('data-action')).toBe('deny');
    expect(await row.textContent()).toContain(String(serve.echoPort));

    const refused = await probe('127.0.0.3');
    expect(refused).toEqual({ echoed: '', closed: true });
    const allowed = await probe('127.0.0.4');
    expect(allowed.echoed).toBe('ping\n');

    await expect
      .poll(() => page.locator('[data-testid="decision-row"][data-source="127.0.0.3"][data-action="deny"]').count())
      .toBeGreaterThan(0);
    expect(await page.getByTestId('decisions-table').textContent()).toContain('Deny 127.0.0.3 to echo');
    await expect.poll(() => row.getByTestId('rule-hits').textContent()).not.toBe('0');
    // The count goes on with every refusal, beside how long ago the last one was.
    const hits = Number(await row.getByTestId('rule-hits').textContent());
    expect((await probe('127.0.0.3')).closed).toBe(true);
    await expect.poll(() => row.getByTestId('rule-hits').textContent()).toBe(String(hits + 1));
    expect(await row.locator('.hits-last').textContent()).toMatch(/^(now|\d+s ago)$/);

    // Each decision says where to, which port, why, and by which rule; a denied one stands out.
    const denial = page.locator('[data-testid="decision-row"][data-source="127.0.0.3"][data-action="deny"]').first();
    expect(await denial.getAttribute('class')).toContain('is-denied');
    expect(await cellText('decisions-table', denial, 'Destination')).toBe('echo');
    expect(await cellText('decisions-table', denial, 'Port')).toBe(String(serve.echoPort));
    expect(await cellText('decisions-table', denial, 'Reason')).toBe('rule');
    expect(await cellText('decisions-table', denial, 'Rule')).toBe('Deny 127.0.0.3 to echo');
    const allowance = page.locator('[data-testid="decision-row"][data-source="127.0.0.4"][data-action="allow"]').first();
    expect(await allowance.getAttribute('class')).not.toContain('is-denied');
    expect(await cellText('decisions-table', allowance, 'Reason')).toBe('default policy');
  });

  it('tests a connection: deny by that rule, and the rule row lights up', async () => {
    // A range is not one client: the box says so under the field.
    await page.getByTestId('test-source').fill('127.0.0.0/8');
    await expect.poll(() => page.locator('[data-testid="field-error"][data-field="source"]').textContent()).toBe('Not an IP address (a single address, not a range)');
    expect(await page.getByTestId('test-submit').isDisabled()).toBe(true);

    const denied = await testConnection('127.0.0.3');
    expect(denied.action).toBe('deny');
    expect(denied.text).toContain('Deny 127.0.0.3 to echo');
    expect(await page.getByTestId('test-result-rule').textContent()).toBe('Deny 127.0.0.3 to echo');
    expect(await page.getByTestId('test-result-reason').textContent()).toBe('rule');
    // A filter that hides the rule gives way, so that the rule can light up.
    await page.getByTestId('rules-search').fill('no such rule');
    await expect.poll(() => page.getByTestId('rules-empty').textContent()).toBe('No rules match the filter.');
    await page.getByTestId('test-result-rule').click();
    await expect.poll(() => page.getByTestId('rules-search').inputValue()).toBe('');
    await expect.poll(() => ruleRow('Deny 127.0.0.3 to echo').getAttribute('aria-selected')).toBe('true');
    expect((await testConnection('127.0.0.4')).action).toBe('allow');
    expect(await page.getByTestId('test-result-reason').textContent()).toBe('default policy');
  });

  it('reorders rules with Alt+Arrow keys, which changes the decision', async () => {
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Allow 127.0.0.3');
    await page.getByTestId('rule-action').selectOption('allow');
    await page.getByTestId('rule-source').fill('127.0.0.3');
    await page.getByTestId('rule-save').click();
    await expect.poll(() => page.getByTestId('rule-row').allTextContents()).toEqual([
      expect.stringContaining('Deny 127.0.0.3 to echo'),
      expect.stringContaining('Allow 127.0.0.3'),
    ]);
    expect((await testConnection('127.0.0.3')).action).toBe('deny');

    // The filter box wants every term in some column; Escape empties it.
    await page.getByTestId('rules-search').fill('allow 127.0.0.3');
    await expect.poll(() => page.getByTestId('rule-row').allTextContents()).toEqual([expect.stringContaining('Allow 127.0.0.3')]);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('rule-row').count()).toBe(2);
    expect(await page.getByTestId('rules-search').inputValue()).toBe('');

    // A decision's rule link selects that rule in the table.
    await page.locator('[data-testid="decision-row"][data-source="127.0.0.3"][data-action="deny"]').first().getByRole('button', { name: 'Deny 127.0.0.3 to echo' }).click();
    await expect.poll(() => ruleRow('Deny 127.0.0.3 to echo').getAttribute('aria-selected')).toBe('true');

    await ruleRow('Allow 127.0.0.3').locator('td').nth(2).click();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => page.getByTestId('rule-row').first().textContent()).toContain('Allow 127.0.0.3');
    // The table moves at once; the new priorities reach the server a moment later.
    await expect.poll(async () => (await testConnection('127.0.0.3')).action).toBe('allow');
    expect((await testConnection('127.0.0.3')).text).toContain('Allow 127.0.0.3');

    // The test box took the focus: back to the rules table, whose selection stayed on the moved rule.
    await page.getByTestId('rules-table').focus();
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => page.getByTestId('rule-row').first().textContent()).toContain('Deny 127.0.0.3 to echo');
    await expect.poll(async () => (await testConnection('127.0.0.3')).action).toBe('deny');
    expect((await probe('127.0.0.3')).echoed).toBe('');
  });

  it('shows a server refusal on the field it names', async () => {
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Office only');
    await page.getByTestId('rule-source').fill('@office');
    await page.getByTestId('rule-save').click();
    // @office is well-formed, but no such address set exists: the server says so
    await expect.poll(() => toastText()).toContainEqual(expect.stringContaining('NETOPS_'));
    await expect.poll(() => page.locator('[data-testid="rule-dialog"] [data-testid="field-error"][data-field="source"]').count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('rule-dialog').isVisible()).toBe(false);
  });

  it('edits, disables and deletes a rule', async () => {
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Temporary');
    await page.getByTestId('rule-source').fill('127.0.0.5');
    await page.getByTestId('rule-ports').fill('1-1024');
    await page.getByTestId('rule-save').click();
    const row = ruleRow('Temporary');
    await expect.poll(() => row.count()).toBe(1);

    // Enter on the selected row opens the same form as its Edit button.
    await row.locator('td').nth(2).click();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('rule-dialog').textContent()).toContain('Edit rule "Temporary"');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('rule-dialog').isVisible()).toBe(false);

    await row.getByRole('button', { name: 'Edit Temporary' }).click();
    expect(await page.getByTestId('rule-save').isDisabled()).toBe(true);
    await page.getByTestId('rule-ports').fill('1-1024,8080');
    await page.getByTestId('rule-save').click();
    await expect.poll(() => row.textContent()).toContain('1-1024,8080');
    // the edit kept every other field
    expect(await row.getAttribute('data-action')).toBe('deny');
    expect(await row.textContent()).toContain('127.0.0.5');

    await row.getByTestId('rule-enabled').click();
    await expect.poll(() => row.getByTestId('rule-enabled').getAttribute('aria-checked')).toBe('false');
    await expect.poll(() => row.getAttribute('class')).toContain('is-disabled');
    expect(await row.textContent()).toContain('1-1024,8080');

    // The switch changes what the firewall decides, both ways.
    const deny = ruleRow('Deny 127.0.0.3 to echo');
    await deny.getByTestId('rule-enabled').click();
    await expect.poll(async () => (await testConnection('127.0.0.3')).action).toBe('allow');
    expect((await probe('127.0.0.3')).echoed).toBe('ping\n');
    await deny.getByTestId('rule-enabled').click();
    await expect.poll(() => deny.getByTestId('rule-enabled').getAttribute('aria-checked')).toBe('true');
    await expect.poll(async () => (await testConnection('127.0.0.3')).action).toBe('deny');
    expect((await probe('127.0.0.3')).echoed).toBe('');

    // The Delete key asks the same question as the row's button.
    await row.locator('td').nth(2).click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('delete-rule-dialog').textContent()).toContain('Temporary');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('delete-rule-dialog').isVisible()).toBe(false);

    await row.getByTestId('delete-rule').click();
    await page.getByTestId('confirm-delete-rule').click();
    await expect.poll(() => row.count()).toBe(0);
  });

  it('turns a decision around from the live feed: the rule form comes filled in, ahead of the rule that decided', async () => {
    // An allowed connection (the default policy): Deny… makes a rule for its source, entry point and port.
    expect((await probe('127.0.0.11')).echoed).toBe('ping\n');
    const allowed = page.locator('[data-testid="decision-row"][data-source="127.0.0.11"][data-action="allow"]').first();
    await expect.poll(() => allowed.count()).toBe(1);
    await allowed.getByTestId('decision-turn-around').click();
    const dialog = page.getByTestId('rule-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByTestId('rule-name').inputValue()).toBe(`deny 127.0.0.11 to echo port ${serve.echoPort}`);
    expect(await dialog.getByTestId('rule-action').inputValue()).toBe('deny');
    expect(await dialog.getByTestId('rule-protocol').inputValue()).toBe('tcp');
    expect(await dialog.getByTestId('rule-source').inputValue()).toBe('127.0.0.11');
    expect(await dialog.getByTestId('rule-destination').inputValue()).toBe('echo');
    expect(await dialog.getByTestId('rule-ports').inputValue()).toBe(String(serve.echoPort));
    await screenshot(page, 'firewall-rule-from-decision-light');
    await page.getByTestId('rule-save').click();
    await expect.poll(() => ruleRow(`deny 127.0.0.11 to echo port ${serve.echoPort}`).count()).toBe(1);
    expect(await probe('127.0.0.11')).toEqual({ echoed: '', closed: true });

    // A connection a rule denied: Allow… goes just ahead of that rule, so that it wins.
    const deny = ruleRow('Deny 127.0.0.3 to echo');
    await deny.getByRole('button', { name: 'Edit Deny 127.0.0.3 to echo' }).click();
    const denyPriority = Number(await page.getByTestId('rule-priority').inputValue());
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await probe('127.0.0.3')).closed).toBe(true);
    const denied = page.locator('[data-testid="decision-row"][data-source="127.0.0.3"][data-action="deny"]').first();
    await expect.poll(() => denied.getByTestId('decision-turn-around').textContent()).toBe('Allow…');
    // The button shows whole in its cell.
    expect(await denied.getByTestId('decision-turn-around').evaluate((button) => button.parentElement!.scrollWidth <= button.parentElement!.clientWidth)).toBe(true);
    await denied.getByTestId('decision-turn-around').click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByTestId('rule-action').inputValue()).toBe('allow');
    expect(Number(await dialog.getByTestId('rule-priority').inputValue())).toBe(Math.max(0, denyPriority - 1));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    // A blocklist refusal (127.0.0.2's, above) has no rule to turn around: no button.
    const blocked = page.locator('[data-testid="decision-row"][data-reason="blocklist"]');
    await expect.poll(() => blocked.count()).toBeGreaterThan(0);
    expect(await blocked.first().getByTestId('decision-turn-around').count()).toBe(0);
  });

  it('sets a per-entry-point policy, and asks before denying by default', async () => {
    const echoPolicy = page.locator('[data-testid="listener-policy"][data-listener="echo"] select');
    await echoPolicy.selectOption('deny');
    await expect.poll(async () => {
      const result = await testConnection('127.0.0.6');
      return `${result.action} ${result.text.includes('default policy')}`;
    }).toBe('deny true');
    await echoPolicy.selectOption('inherit');
    await expect.poll(async () => (await testConnection('127.0.0.6')).action).toBe('allow');

    await page.getByTestId('default-policy').getByRole('radio', { name: 'Deny' }).click();
    await expect.poll(() => page.getByTestId('confirm-default-deny').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('default-policy').getAttribute('data-policy')).toBe('allow');
  });

  it('says on the console\'s policy row that loopback always reaches it (anti-lockout)', async () => {
    const consoleRow = page.locator('[data-testid="listener-policy"][data-listener="console"]');
    await expect.poll(() => consoleRow.getByTestId('anti-lockout-note').textContent()).toBe('Loopback always admitted (anti-lockout)');
    expect(await page.locator('[data-testid="listener-policy"][data-listener="echo"] [data-testid="anti-lockout-note"]').count()).toBe(0);
  });

  it('adds and removes a rate limit', async () => {
    await page.getByTestId('add-rate-limit').click();
    await page.getByTestId('rate-limit-rate').fill('0');
    await expect.poll(() => page.locator('[data-testid="rate-limit-dialog"] [data-testid="field-error"][data-field="ratePerSecond"]').count()).toBe(1);
    await page.getByTestId('rate-limit-burst').fill('0');
    await expect
      .poll(() => page.locator('[data-testid="rate-limit-dialog"] [data-testid="field-error"][data-field="burst"]').textContent())
      .toBe('A whole number, at least 1');
    await page.getByTestId('rate-limit-rate').fill('50');
    await page.getByTestId('rate-limit-burst').fill('100');
    await page.getByTestId('rate-limit-ban-after').fill('30');
    await page.getByTestId('rate-limit-window').fill('2m');
    expect(await page.getByTestId('rate-limit-ipv6-prefix').inputValue()).toBe('64');
    await page.getByTestId('rate-limit-ipv6-prefix').fill('130');
    await expect
      .poll(() => page.locator('[data-testid="rate-limit-dialog"] [data-testid="field-error"][data-field="ipv6Prefix"]').textContent())
      .toBe('A prefix length from 1 to 128, e.g. 64');
    await page.getByTestId('rate-limit-ipv6-prefix').fill('48');
    await page.getByTestId('rate-limit-save').click();
    const row = page.locator('[data-testid="rate-limit-row"][data-listener="echo"]');
    await expect.poll(() => row.textContent()).toContain('50/s, burst 100');
    expect(await row.textContent()).toContain('ban after 30 refusals in 2m, for 10m');
    expect(await row.textContent()).toContain('IPv6 per /48');
    // What the engine kept, read back into the form.
    await row.getByRole('button', { name: 'Edit the limit of echo' }).click();
    expect(await page.getByTestId('rate-limit-ipv6-prefix').inputValue()).toBe('48');
    await screenshot(page, 'firewall-rate-limit-dialog-light');
    await page.keyboard.press('Escape');
    await row.getByRole('button', { name: 'Remove the limit of echo' }).click();
    await page.getByRole('button', { name: 'Remove limit' }).click();
    await expect.poll(() => row.count()).toBe(0);
  });

  it('keeps address sets: a rule on one follows its edits, and a set in use cannot be removed', async () => {
    const dialog = page.getByTestId('address-set-dialog');
    await page.getByTestId('add-address-set').click();
    await page.getByTestId('address-set-name').fill('@lab');
    await page.getByTestId('address-set-entries').fill('# the lab\n127.0.0.40/30\n127.0.0.44/33');
    await expect.poll(() => dialog.locator('[data-testid="field-error"][data-field="entries"]').textContent()).toBe('Line 3: "127.0.0.44/33" is not an IP address or CIDR');
    expect(await page.getByTestId('address-set-save').isDisabled()).toBe(true);
    await page.getByTestId('address-set-entries').fill('# the lab\n127.0.0.40/30\n127.0.0.40/30');
    await expect.poll(() => dialog.locator('.field-hint').textContent()).toBe('Line 3 repeats line 2: it is sent once');
    await page.getByTestId('address-set-save').click();
    const row = page.locator('[data-testid="address-set-row"][data-name="@lab"]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('1 entry127.0.0.40/30');
    expect(await row.getByTestId('address-set-users').textContent()).toBe('no rule');

    // A rule on the set refuses what the set holds, and nothing else.
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Deny the lab');
    await page.getByTestId('rule-action').selectOption('deny');
    await page.getByTestId('rule-source').fill('@lab');
    await page.getByTestId('rule-save').click();
    await expect.poll(() => ruleRow('Deny the lab').count()).toBe(1);
    await expect.poll(() => row.getByTestId('address-set-users').textContent()).toBe('1 rule');
    expect((await probe('127.0.0.41')).closed).toBe(true);
    expect((await probe('127.0.0.45')).echoed).toBe('ping\n');

    // The set grown: the rule follows at once, and the toast says so.
    await row.getByTestId('address-set-edit').click();
    expect(await page.getByTestId('address-set-name').getAttribute('readonly')).toBe('');
    await page.getByTestId('address-set-entries').fill('127.0.0.40/30\n127.0.0.45');
    await page.getByTestId('address-set-save').click();
    await expect.poll(toastText).toContainEqual(expect.stringContaining('@lab: 2 entries. 1 rule on it follows at once.'));
    expect((await probe('127.0.0.45')).closed).toBe(true);

    // Found by an address it holds.
    const filter = page.getByTestId('address-sets-filter');
    await filter.fill('127.0.0.42');
    await expect.poll(() => page.getByTestId('address-set-row').count()).toBe(1);
    await filter.fill('10.1.1.1');
    await expect.poll(() => page.getByTestId('address-set-row').count()).toBe(0);
    expect(await page.getByTestId('address-sets-count').textContent()).toBe('0 of 1 set');
    await filter.fill('');

    // In use, it cannot be removed; once its rule is gone, it can.
    const remove = row.getByTestId('address-set-remove');
    expect(await remove.isDisabled()).toBe(true);
    expect(await remove.getAttribute('title')).toBe('Used by 1 rule: change or remove it first');
    await page.getByRole('heading', { name: 'Address sets' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'firewall-address-sets-light');
    await ruleRow('Deny the lab').getByTestId('delete-rule').click();
    await page.getByTestId('confirm-delete-rule').click();
    await expect.poll(() => row.getByTestId('address-set-users').textContent()).toBe('no rule');
    expect((await probe('127.0.0.45')).echoed).toBe('ping\n');
    await remove.click();
    await page.getByTestId('address-set-remove-confirm').click();
    await expect.poll(() => row.count()).toBe(0);

    // A large set: the live state carries its size and first entries; the filter asks the server, which sees
    // them all, and the editor loads them all.
    const big = Array.from({ length: 5_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    await page.getByTestId('add-address-set').click();
    await page.getByTestId('address-set-name').fill('@big');
    // Pasted, as an operator brings a list this long: one input event. (Playwright's fill types a textarea's
    // lines one input event each, which re-checks the whole list 5,000 times.)
    await page.getByTestId('address-set-entries').evaluate((element, text) => {
      const textarea = element as HTMLTextAreaElement;
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(textarea, text);
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    }, big.join('\n'));
    await page.getByTestId('address-set-save').click();
    const bigRow = page.locator('[data-testid="address-set-row"][data-name="@big"]');
    await expect.poll(() => bigRow.textContent()).toContain('5,000 entries10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24 and 4,997 more');
    await filter.fill('10.19.135.7');
    await expect.poll(() => page.getByTestId('address-set-row').count()).toBe(1);
    expect(await page.getByTestId('address-set-row').getAttribute('data-name')).toBe('@big');
    await filter.fill('');
    await bigRow.getByTestId('address-set-edit').click();
    await expect.poll(async () => (await page.getByTestId('address-set-entries').inputValue()).split('\n')).toEqual(big);
    await page.keyboard.press('Escape');
    await bigRow.getByTestId('address-set-remove').click();
    await page.getByTestId('address-set-remove-confirm').click();
    await expect.poll(() => bigRow.count()).toBe(0);
  });

  it('pauses and resumes the decisions feed', async () => {
    const rows = page.getByTestId('decision-row');
    await page.getByTestId('decisions-pause').click();
    const before = await rows.count();
    expect((await probe('127.0.0.7')).echoed).toBe('ping\n');
    await expect.poll(() => page.getByTestId('decisions-pause').textContent()).toContain('1 new');
    expect(await rows.count()).toBe(before);
    await page.getByTestId('decisions-pause').click();
    await expect.poll(() => page.locator('[data-testid="decision-row"][data-source="127.0.0.7"]').count()).toBe(1);
    await page.getByTestId('decisions-filter').fill('127.0.0.7');
    await expect.poll(async () => new Set(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-source'))))).toEqual(new Set(['127.0.0.7']));
    await page.getByTestId('decisions-filter').fill('');
    await page.getByTestId('decisions-action').selectOption('deny');
    await expect.poll(async () => new Set(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-action'))))).toEqual(new Set(['deny']));
    expect(await page.getByTestId('decisions-count').textContent()).toMatch(/^[\d,]+ of [\d,]+$/);
    await page.getByTestId('decisions-action').selectOption('all');
  });

  it('imports a DROP-style blocklist and reports skipped lines', async () => {
    const list = ['; Spamhaus DROP List 2025/01/01', '198.51.100.0/24 ; SBL0001', 'not-an-address', '203.0.113.0/24 ; SBL0002', ''].join('\n');
    await page.getByTestId('import-blocklist-file').setInputFiles({ name: 'drop.txt', mimeType: 'text/plain', buffer: Buffer.from(list) });
    await page.getByTestId('confirm-import-blocklist').click();
    const result = page.getByTestId('import-blocklist-result');
    await expect.poll(() => result.textContent()).toContain('2 entries added');
    expect(await page.locator('[data-testid="skipped-line"]').getAttribute('data-line')).toBe('3');
    await page.getByTestId('import-blocklist-dialog').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.locator('[data-testid="block-row"][data-address="198.51.100.0/24"]').count()).toBe(1);
  });

  it('imports a drop list larger than one message in parts, numbering skipped lines as in the file', async () => {
    // 40,000 comment lines make it 1.4 MB: more than the console takes in one message.
    const lines = ['198.51.100.7', ...Array.from({ length: 40_000 }, (_, i) => `# padding line ${String(i).padStart(12, '0')}`), '203.0.113.9', 'bogus-entry', ''];
    const buffer = Buffer.from(lines.join('\n'));
    expect(buffer.length).toBeGreaterThan(1024 * 1024);
    await page.getByTestId('import-blocklist-file').setInputFiles({ name: 'big-drop.txt', mimeType: 'text/plain', buffer });
    await page.getByTestId('confirm-import-blocklist').click();
    const result = page.getByTestId('import-blocklist-result');
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('2 entries added');
    expect(await page.locator('[data-testid="skipped-line"]').getAttribute('data-line')).toBe('40003');
    await page.getByTestId('import-blocklist-dialog').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.locator('[data-testid="block-row"][data-address="203.0.113.9"]').count()).toBe(1);
  });

  it('groups the digits of a long blocklist\'s count', async () => {
    const before = Number(await page.getByTestId('blocklist-count').textContent());
    const list = Array.from({ length: 1200 }, (_, i) => `198.18.${i >> 8}.${i & 255}`).join('\n');
    await page.getByTestId('import-blocklist-file').setInputFiles({ name: 'long.txt', mimeType: 'text/plain', buffer: Buffer.from(list) });
    await page.getByTestId('confirm-import-blocklist').click();
    await expect.poll(() => page.getByTestId('import-blocklist-result').textContent()).toContain('1,200 entries added');
    await page.getByTestId('import-blocklist-dialog').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('blocklist-count').textContent()).toBe((before + 1200).toLocaleString('en-US'));
  });

  it('exports the configuration as a file download and imports it back', async () => {
    const download = page.waitForEvent('download');
    await page.getByTestId('export-yaml').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^netops-firewall-.*\.yaml$/);
    const text = await readFile((await file.path())!, 'utf8');
    expect(text).toContain('Deny 127.0.0.3 to echo');

    // Comments make it 1.5 MB, more than one message: the screen sends it up in parts first.
    const padded = `${text}\n${Array.from({ length: 25_000 }, (_, i) => `# kept in the file, line ${String(i).padStart(6, '0')} of notes`).join('\n')}\n`;
    expect(Buffer.byteLength(padded)).toBeGreaterThan(1024 * 1024);
    await page.getByTestId('import-config-file').setInputFiles({ name: 'firewall.yaml', mimeType: 'application/yaml', buffer: Buffer.from(padded) });
    await page.getByTestId('confirm-import-config').click();
    // Parsing 1.15 MiB of YAML takes the server a second or more on a busy machine.
    await expect.poll(() => page.getByTestId('import-config-result').textContent(), { timeout: 15_000 }).toContain('rule');
    await page.getByTestId('import-config-dialog').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => ruleRow('Deny 127.0.0.3 to echo').count()).toBe(1);
  });

  it('keeps a wide rule\'s buttons in view in a 900px window', async () => {
    await page.getByTestId('add-rule').click();
    await page.getByTestId('rule-name').fill('Deny the documentation prefix its usual ports');
    await page.getByTestId('rule-action').selectOption('deny');
    await page.getByTestId('rule-source').fill('2001:db8:abcd:1234::/64');
    await page.getByTestId('rule-destination').fill('2001:db8:ffff:4321::/64');
    await page.getByTestId('rule-ports').fill('53,123,161-162,443,8443');
    await expect.poll(() => page.getByTestId('rule-dialog').getByTestId('field-error').count()).toBe(0);
    await page.getByTestId('rule-save').click();
    const row = ruleRow('Deny the documentation prefix');
    await expect.poll(() => row.count()).toBe(1);
    await page.setViewportSize({ width: 900, height: 900 });
    try {
      const table = (await page.getByTestId('rules-table').boundingBox())!;
      const remove = (await row.getByTestId('delete-rule').boundingBox())!;
      expect(remove.x + remove.width).toBeLessThanOrEqual(table.x + table.width);
      await screenshot(page, 'firewall-rules-900-light');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
    await row.getByTestId('delete-rule').click();
    await page.getByTestId('confirm-delete-rule').click();
    await expect.poll(() => row.count()).toBe(0);
  });

  it('lists each problem of a refused import on a line of its own', async () => {
    const file = 'rules:\n  - name: Bad\n    action: maybe\n    source: 10.0.0.300\n';
    await page.getByTestId('import-config-file').setInputFiles({ name: 'bad.yaml', mimeType: 'application/yaml', buffer: Buffer.from(file) });
    await page.getByTestId('confirm-import-config').click();
    try {
      const notice = page.getByTestId('import-config-error');
      await expect.poll(() => notice.textContent()).toContain('rules[0].source');
      // innerText is the text as laid out: the lines are there only if the page keeps them.
      expect((await notice.innerText()).split('\n').filter((line) => line.includes('rules[0].'))).toHaveLength(2);
      const toast = page.getByTestId('toast').filter({ hasText: 'Could not import bad.yaml' });
      expect((await toast.locator('.toast-message').innerText()).split('\n')).toHaveLength(2);
    } finally {
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('import-config-dialog').isVisible()).toBe(false);
    }
  });

  it('saves screenshots of the Firewall screen in light and dark', async () => {
    // Toasts would cover the side panels; some may expire while being dismissed.
    await expect
      .poll(async () => {
        await page.evaluate(() => document.querySelectorAll<HTMLButtonElement>('[aria-label="Dismiss notification"]').forEach((button) => button.click()));
        return page.getByTestId('toast').count();
      })
      .toBe(0);
    await page.locator('.firewall-page').evaluate((element) => element.scrollTo(0, 0));
    // The chart has no axis: its header says what its height means.
    expect(await page.getByTestId('decisions-chart-peak').textContent()).toMatch(/^ · peak [1-9][\d,]*\/s$/);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(theme);
      // the chart gathers a few seconds of counters
      await page.waitForTimeout(1500);
      await screenshot(page, `firewall-${theme}`);
    }
  });

  it('had no page errors and no CSP violations along the way', () => {
    expect(problems).toEqual([]);
  });
});
