import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsProblem, runInNetns, type NetnsRun } from '../helpers/netns.ts';

/**
 * Rate limits group IPv6 clients by their /64, with real sockets from real
 * IPv6 addresses: loopback has only ::1, so a `netops serve` runs in a
 * network namespace of the test's own, with addresses of two /64s on its
 * loopback (test/helpers/netns.ts), and netns/ipv6-limits.mjs sends from
 * them. The gateway's rateLimit middleware and the firewall's rate limit
 * each allow a burst of 2, almost without refill.
 */

const CLI = join(process.cwd(), 'dist', 'node', 'cli.js');
const SCRIPT = join(import.meta.dirname, 'netns', 'ipv6-limits.mjs');
const ADDRESSES = ['2001:db8:1::1', '2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:2::d', '2001:db8:1:3::a', '2001:db8:1:9::1'];

/** A connection the firewall refused: reset before the line came back (EPIPE when the reset beat the write). */
const RESET = /^(ECONNRESET|EPIPE)$/;

let dataDir: string;
let run: NetnsRun;
let result: { gateway: [string, number | string][]; firewall: [string, string][]; serveExit: number | null };

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`the build is missing (${CLI}): run "npm run build" first (npm test does)`);
  const problem = netnsProblem();
  if (problem) throw new Error(problem);
  dataDir = await mkdtemp(join(tmpdir(), 'netops-ipv6-'));
  const config = join(dataDir, 'config.yaml');
  await writeFile(
    config,
    `listeners:
  - name: echo
    handler: echo
    host: "::"
    port: 7007
gateway:
  workers: 1
  entryPoints:
    - name: web
      host: "::"
      port: 8080
  middlewares:
    - name: per-client
      type: rateLimit
      ratePerSecond: 0.001
      burst: 2
  routers:
    - name: all
      match: { path: { prefix: / } }
      middlewares: [per-client]
      service: one
  services:
    - name: one
      instances:
        - url: http://127.0.0.1:9000
`,
  );
  // The firewall's limit on the echo listener: a burst of 2, and the first refusal bans.
  await writeFile(
    join(dataDir, 'firewall.json'),
    JSON.stringify({
      version: 1,
      nextRuleId: 1,
      defaultPolicy: 'allow',
      listenerPolicies: {},
      addressSets: [],
      rules: [],
      rateLimits: [{ listener: 'echo', ratePerSecond: 0.001, burst: 2, banAfter: 1, banWindowSeconds: 60, banSeconds: 600 }],
      blocklist: [],
    }),
  );
  run = await runInNetns(ADDRESSES, [process.execPath, SCRIPT, CLI, dataDir, config], 90_000);
  if (run.code !== 0) throw new Error(`the namespace's script failed (exit ${run.code}): ${run.stderr}${run.stdout}`);
  result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as typeof result;
}, 120_000);

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('IPv6 clients, from real addresses in a network namespace', () => {
  it("share the gateway rate limit's bucket with the rest of their /64; another /64 has its own", () => {
    expect(result.gateway).toEqual([
      ['2001:db8:1:2::a', 200],
      ['2001:db8:1:2::b', 200],
      ['2001:db8:1:2::c', 429],
      ['2001:db8:1:3::a', 200],
    ]);
  });

  it("share the firewall's rate limit with their /64, and its ban blocks the whole /64", async () => {
    expect(result.firewall).toEqual([
      ['2001:db8:1:2::a', 'echoed'],
      ['2001:db8:1:2::b', 'echoed'],
      // Reset at accept by the rate limit, which bans; then every address of the /64 is on the blocklist.
      ['2001:db8:1:2::c', expect.stringMatching(RESET)],
      ['2001:db8:1:2::d', expect.stringMatching(RESET)],
      ['2001:db8:1:3::a', 'echoed'],
    ]);
    expect(result.serveExit).toBe(0);
    const stored = JSON.parse(await readFile(join(dataDir, 'firewall.json'), 'utf8')) as { blocklist: { address: string; reason: string; addedBy: string }[] };
    expect(stored.blocklist).toEqual([expect.objectContaining({ address: '2001:db8:1:2::/64', reason: 'rate limit: 1 refusals in 60s (listener echo)', addedBy: 'rate-limit' })]);
  });
});
