import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';

describe("the README's gateway example", () => {
  it('is a config the gateway takes as it is, without an error', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n(gateway:\n[\s\S]*?)```/.exec(readme);
    expect(block, 'a ```yaml block starting with gateway:').not.toBeNull();
    const loaded = loadGatewayConfigText(block![1]!, 'README.md');
    expect(loaded.errors).toEqual([]);
    const items = [...loaded.checked.entryPoints, ...loaded.checked.routers, ...loaded.checked.middlewares, ...loaded.checked.services];
    expect(items.flatMap((item) => item.errors)).toEqual([]);
    // The one item off is the router it shows switched off.
    expect(items.filter((item) => item.status !== 'enabled').map((item) => item.name)).toEqual(['old-site']);
    const api = loaded.checked.services.find((item) => item.name === 'api')!.config as { slowStartMs: number; instances: Array<{ drain: boolean }> };
    expect(api.slowStartMs).toBe(30_000);
    expect(api.instances.map((instance) => instance.drain)).toEqual([false, false, true]);
  });
});
