import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectToInstance, MAX_FRAME_BYTES, runCli } from '../../electron/headless/index.ts';
import { importBlocklistInParts } from '../../shared/contract/index.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

let console: TestConsole;
let client: RpcClient<Contract>;

beforeAll(async () => {
  console = await startTestConsole();
  client = await connectToInstance({ dataDir: console.dataDir, url: console.origin, token: console.token });
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
});

describe('the CLI client', () => {
  it('refuses a request larger than the console takes in one message, saying so, and stays connected', async () => {
    const text = '10.0.0.1\n'.repeat(Math.ceil(MAX_FRAME_BYTES / 9) + 1);
    const refused = await client.api.firewall.importBlocklist({ text }).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refused?.code).toBe(ErrorCodes.limit);
    expect(refused?.message).toMatch(/^firewall\.importBlocklist: the request is \d+ bytes; the console takes at most 1048576 in one message$/);
    expect(client.isClosed).toBe(false);
    expect(client.openCalls).toEqual({ requests: 0, streams: 0 });
    expect((await client.api.system.info({})).product).toBe('NetOps Console');
  });

  it('imports a drop list larger than one message, in parts, with the bad lines numbered as in the file', async () => {
    const lines = Array.from({ length: 150_000 }, (_, i) => (i === 99_999 ? 'garbage' : `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`));
    const file = join(console.dataDir, 'big-drop.txt');
    await writeFile(file, `${lines.join('\n')}\n`);
    expect((await stat(file)).size).toBeGreaterThan(MAX_FRAME_BYTES);
    let out = '';
    let err = '';
    const code = await runCli(['firewall', 'import-blocklist', file, '--url', console.origin, '--token', console.token], { out: (t) => (out += t), err: (t) => (err += t) });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toBe('added 149999; skipped 1\n  line 100000: must be an IP address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32: garbage\n');
    expect((await client.api.firewall.state({})).blocklist).toHaveLength(149_999);
  });

  it('imports an export larger than one message as an upload, and refuses both text and upload, or neither', async () => {
    await client.api.firewall.importConfig({ format: 'yaml', text: 'rules: []\n' });
    const list = Array.from({ length: 30_000 }, (_, i) => `10.200.${(i >>> 8) & 255}.${i & 255}`).join('\n');
    await importBlocklistInParts(list, (text) => client.api.firewall.importBlocklist({ text, reason: 'kept across the round trip' }));
    const exported = (await client.api.firewall.exportConfig({ format: 'yaml' })).text;
    expect(exported.length).toBeGreaterThan(MAX_FRAME_BYTES);
    await client.api.firewall.importConfig({ format: 'yaml', text: 'rules: []\n' });
    expect((await client.api.firewall.state({})).blocklist).toHaveLength(0);

    const file = join(console.dataDir, 'export.yaml');
    await writeFile(file, exported);
    let out = '';
    let err = '';
    const code = await runCli(['firewall', 'import', file, '--url', console.origin, '--token', console.token], { out: (t) => (out += t), err: (t) => (err += t) });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/30000 blocklist entries/);
    const state = await client.api.firewall.state({});
    expect(state.blocklist).toHaveLength(30_000);
    expect(state.blocklist[0]!.reason).toBe('kept across the round trip');

    for (const params of [{ format: 'yaml' as const }, { format: 'yaml' as const, text: 'rules: []\n', upload: 'u0123456789012345678901' }]) {
      const refused = await client.api.firewall.importConfig(params).catch((error: unknown) => error as { code: string; message: string });
      expect(refused).toMatchObject({ code: ErrorCodes.badParams, message: expect.stringContaining('give exactly one of text or upload') });
    }
    const unknown = await client.api.firewall.importConfig({ format: 'yaml', upload: 'u0123456789012345678901' }).catch((error: unknown) => error as { code: string });
    expect(unknown).toMatchObject({ code: ErrorCodes.notFound });
    expect((await client.api.firewall.state({})).blocklist).toHaveLength(30_000);
  });
});
