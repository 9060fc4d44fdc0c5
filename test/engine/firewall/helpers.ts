import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firewall, type DecideInput, type FirewallOptions } from '../../../electron/engine/firewall/index.ts';
import type { FirewallDecision } from '../../../shared/contract/firewall.ts';
import { isNetopsError, type ErrorCode, type NetopsError } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';

/** Firewalls on real temp dirs, disposed and removed after each test. */
export function firewallFixture() {
  const store = new DisposableStore();
  const dirs: string[] = [];
  const opened: Firewall[] = [];
  return {
    async dir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'netops-fw-'));
      dirs.push(dir);
      return dir;
    },
    async open(options: Partial<FirewallOptions> = {}): Promise<Firewall> {
      const dataDir = options.dataDir ?? (await this.dir());
      const firewall = store.add(await Firewall.open({ ...options, dataDir }));
      opened.push(firewall);
      return firewall;
    },
    track<T extends { dispose(): void }>(item: T): T {
      return store.add(item);
    },
    async cleanup(): Promise<void> {
      // A save the test's timers started may still be writing its temporary file: removing the directory under it
      // fails with ENOTEMPTY. Wait for it (and write what is pending) first; a test that made saving fail has seen that.
      await Promise.all(opened.splice(0).map((firewall) => firewall.flush().catch(() => undefined)));
      store.clear();
      await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
    disposable: toDisposable,
  };
}

/** A clock the test moves; `advance` also lets a microtask run, which is when the firewall rereads time. */
export function manualClock(start = Date.UTC(2025, 0, 1)) {
  let at = start;
  return {
    now: () => at,
    get at() {
      return at;
    },
    async advance(ms: number): Promise<void> {
      at += ms;
      await Promise.resolve();
    },
  };
}

/**
 * decide(), with the rule that decided as lastDecision() reports it: decide()
 * answers only action and reason. Throws when the two disagree.
 */
export function decideWithRule(fw: Firewall, input: DecideInput): { action: 'allow' | 'deny'; reason: FirewallDecision['reason']; ruleId: string | null; ruleName: string | null } {
  const decision = fw.decide(input);
  const recorded = fw.lastDecision();
  if (recorded === null || recorded.action !== decision.action || recorded.reason !== decision.reason) {
    throw new Error(`decide() answered ${JSON.stringify(decision)}, lastDecision() says ${JSON.stringify(recorded)}`);
  }
  return { action: decision.action, reason: decision.reason, ruleId: recorded.ruleId, ruleName: recorded.ruleName };
}

export function connection(source: string, overrides: Partial<DecideInput> = {}): DecideInput {
  return { protocol: 'tcp', source, listener: 'web', localAddress: '192.0.2.1', port: 443, ...overrides };
}

/** Runs fn and returns the NetopsError it throws, failing if it throws something else or nothing. */
export function errorOf(fn: () => unknown, code: ErrorCode): NetopsError {
  try {
    fn();
  } catch (error) {
    if (isNetopsError(error, code)) return error;
    throw new Error(`expected a NetopsError ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a NetopsError ${code}, nothing was thrown`);
}

export async function asyncErrorOf(fn: () => Promise<unknown>, code: ErrorCode): Promise<NetopsError> {
  try {
    await fn();
  } catch (error) {
    if (isNetopsError(error, code)) return error;
    throw new Error(`expected a NetopsError ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a NetopsError ${code}, nothing was thrown`);
}
