import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectToInstance, MAX_FRAME_BYTES } from '../../electron/headless/index.ts';
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
});
