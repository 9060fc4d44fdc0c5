import { describe, expect, it } from 'vitest';
import { GatewaySharedMemory } from '../../../../electron/engine/gateway/control/shared-memory.ts';
import { loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';
import { BucketTable } from '../../../../electron/engine/gateway/middleware/index.ts';

const checked = ({ rate = 10, maxKeys }: { rate?: number; maxKeys?: number } = {}) =>
  loadGatewayConfigText(
    `gateway:
  middlewares:
    - { name: per-client, type: rateLimit, ratePerSecond: ${rate}, burst: 20${maxKeys === undefined ? '' : `, maxKeys: ${maxKeys}`} }
`,
    'gateway.yaml',
  ).checked;

describe("the control plane's shared memory", () => {
  it('sizes a rate limit’s bucket table by its maxKeys, 100,000 by default, and makes a new table when that changes', () => {
    const memory = new GatewaySharedMemory();
    const first = memory.sync(checked()).rateLimits['per-client']!;
    // Two slots a key, rounded up to whole sets: 6.5 MB for 100,000.
    expect(new BucketTable(first.buffer, 1).capacity).toBe(262_144);
    expect(first.buffer.byteLength).toBeLessThan(6.6 * 1024 * 1024);
    // The rate changes, the table stays.
    expect(memory.sync(checked({ rate: 5 })).rateLimits['per-client']!.buffer).toBe(first.buffer);
    const bigger = memory.sync(checked({ maxKeys: 1_000_000 })).rateLimits['per-client']!;
    expect(bigger.buffer).not.toBe(first.buffer);
    expect(bigger.id).not.toBe(first.id);
    expect(new BucketTable(bigger.buffer, 1).capacity).toBe(2_097_152);
    const small = memory.sync(checked({ maxKeys: 1000 })).rateLimits['per-client']!;
    expect(new BucketTable(small.buffer, 1).capacity).toBe(2048);
  });

  it('refuses a maxKeys out of bounds, naming the field', () => {
    for (const bad of ['0', '999', '1000001', '1.5']) {
      const loaded = loadGatewayConfigText(`gateway:\n  middlewares:\n    - { name: m, type: rateLimit, ratePerSecond: 1, burst: 1, maxKeys: ${bad} }\n`, 'gateway.yaml');
      expect(loaded.checked.middlewares[0]!.status, bad).toBe('disabled');
      expect(loaded.checked.middlewares[0]!.errors.join(' '), bad).toMatch(/maxKeys/);
    }
  });
});
