import { z } from 'zod';
import { CONSOLE_LISTENER } from '../../../shared/contract/index.ts';

const hostField = z.string().min(1).max(253);
const portField = z.number().int().min(0).max(65535);
const nameField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'must be 1-63 letters, digits, - or _, starting with a letter or digit');

export const listenerConfig = z
  .object({
    name: nameField.refine((name) => name.toLowerCase() !== CONSOLE_LISTENER, `"${CONSOLE_LISTENER}" is the web console's listener in the firewall; pick another name`),
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    handler: z.literal('echo'),
    host: hostField.default('127.0.0.1'),
    port: portField,
    enabled: z.boolean().default(true),
  })
  .strict();

export const consoleConfig = z
  .object({
    host: hostField.default('127.0.0.1'),
    port: portField.default(7070),
    /** Extra Host header values to accept (a reverse proxy's name); loopback names are always accepted. */
    allowedHosts: z.array(hostField).max(32).default([]),
    /** A client on loopback always reaches the console, whatever the firewall says, so a block of 127.0.0.1 cannot lock the operator out. */
    antiLockout: z.boolean().default(true),
  })
  .strict();

export const netopsConfig = z
  .object({
    /** The API gateway; checked item by item by the gateway's own loader, so a broken router never stops the rest. */
    gateway: z.unknown().optional(),
    console: consoleConfig.default({ host: '127.0.0.1', port: 7070, allowedHosts: [], antiLockout: true }),
    listeners: z
      .array(listenerConfig)
      .max(256)
      .default([])
      .superRefine((listeners, ctx) => {
        const seen = new Set<string>();
        listeners.forEach((listener, index) => {
          if (seen.has(listener.name)) {
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate listener name "${listener.name}"` });
          }
          seen.add(listener.name);
        });
      }),
  })
  .strict();

export type NetopsConfig = z.infer<typeof netopsConfig>;
export type ListenerConfig = z.infer<typeof listenerConfig>;

/** What a newcomer gets with no config file: a TCP echo listener, so live rows appear at once. */
export const DEFAULT_CONFIG_YAML = `# NetOps Console configuration. Reference: README.md, "Configuration".
console:
  host: 127.0.0.1   # the web console binds loopback unless told otherwise
  port: 7070
listeners:
  # A TCP echo service: try "nc 127.0.0.1 7007" and watch the Connections screen.
  - name: echo
    handler: echo
    host: 127.0.0.1
    port: 7007
`;
