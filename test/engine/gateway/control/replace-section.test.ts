import { describe, expect, it } from 'vitest';
import { replaceGatewaySection } from '../../../../electron/engine/gateway/control/gateway-controller.ts';

const file = `# netops config
console:
  port: 7070 # the console
gateway:
  workers: 1
  routers: [] # old
listeners:
  - name: echo # keep me
    handler: echo
    port: 7007
`;

describe('replaceGatewaySection', () => {
  it('replaces only the gateway section of a shared file, byte for byte elsewhere', () => {
    const next = replaceGatewaySection(file, 'gateway:\n  workers: 2\n  # new routers\n  routers: []\n');
    expect(next).toBe(file.replace('gateway:\n  workers: 1\n  routers: [] # old\n', 'gateway:\n  workers: 2\n  # new routers\n  routers: []\n'));
  });

  it('keeps the other sections when the incoming text has some too, and appends a section that is missing', () => {
    expect(replaceGatewaySection('console:\n  port: 1\n', 'listeners: []\ngateway:\n  workers: 3\n')).toBe('console:\n  port: 1\ngateway:\n  workers: 3\n');
    expect(replaceGatewaySection('', 'gateway:\n  workers: 3\n')).toBe('gateway:\n  workers: 3\n');
  });

  it('refuses text that is not YAML', () => {
    expect(() => replaceGatewaySection(file, 'gateway: [\n')).toThrow(/does not parse/);
  });
});
