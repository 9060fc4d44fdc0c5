import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectToInstance, MAX_FRAME_BYTES, runCli } from '../../electron/headless/index.ts';
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
});
