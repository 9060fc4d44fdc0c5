import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startConsole } from '../../electron/headless/index.ts';

describe('netops serve and a gateway config with a broken item', () => {
  it('runs the rest and warns about the disabled item with its file, line and field', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'netops-serve-warn-'));
    const configFile = join(dataDir, 'netops.yaml');
    await writeFile(
      configFile,
      'listeners: []\ngateway:\n  entryPoints:\n    - { name: web, port: 0 }\n  routers:\n    - { name: broken, match: { path: { prefix: nope } }, service: s }\n    - { name: fine, match: { path: { prefix: / } }, service: s }\n  services:\n    - { name: s, instances: [ { url: "http://127.0.0.1:9" } ] }\n',
    );
    const lines: string[] = [];
    const running = await startConsole({ dataDir, configFile, uiPort: 0, host: '127.0.0.1', uiDir: join(dataDir, 'ui'), log: (line) => lines.push(line) });
    try {
      expect(lines.filter((line) => line.startsWith('warning: gateway'))).toEqual([
        expect.stringMatching(/^warning: gateway router broken is disabled: .*netops\.yaml:6:\d+: gateway\.routers\[0\]\.match\.path/),
      ]);
      expect(running.host.gateway.status().routers.find((router) => router.name === 'fine')!.status).toBe('enabled');
    } finally {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
