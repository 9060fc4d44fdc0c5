import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import {
  BLOCKLIST_FILE_MAX_CHARS,
  importBlocklistInParts,
  listenerName as LISTENER_NAME,
  MAX_BLOCK_TTL_SECONDS,
  MAX_MESSAGE_BYTES,
  parseAddressSetText,
  setName as SET_NAME,
  textParam,
  type AddressSet,
  type BlockEntry,
  type Contract,
  type FirewallRule,
  type RateLimit,
  type RuleInput,
} from '../../shared/contract/index.ts';
import { formatDurationSeconds, parseCidr, parseDurationSeconds, parseIp, parsePortSpec } from '../../shared/net/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { parseFlags, UsageError } from './args.ts';

type Flags = Record<string, string | boolean | undefined>;
type Out = (text: string) => void;

const TIMEOUT = { timeoutMs: 10_000 };

export const firewallUsage = `  netops firewall list [--json]
  netops firewall block <ip|cidr> [--ttl 10m] [--reason TEXT]
  netops firewall unblock <ip|cidr>
  netops firewall import-blocklist FILE [--ttl 7d] [--reason TEXT]
  netops firewall rules list [--json]
  netops firewall rules add --action allow|deny --source CIDR [--protocol tcp|udp|any] [--port 80-90]
                            [--dest LISTENER|CIDR] [--priority N] [--name TEXT] [--comment TEXT] [--disabled]
  netops firewall rules rm ID
  netops firewall rules enable|disable ID
  netops firewall policy allow|deny [--listener NAME]   (the default when no rule matches; --listener: that listener's own)
  netops firewall policy clear --listener NAME         (the listener follows the global default again)
  netops firewall limit set LISTENER --rate N --burst N [--ban-after N] [--ban-window 1m] [--ban-for 10m]
  netops firewall limit rm LISTENER
  netops firewall sets list [--json]
  netops firewall sets set @NAME [CIDR ...] [--file FILE]   (its entries, replaced; FILE: one a line, # comments)
  netops firewall sets rm @NAME                           (refused while a rule uses it)
  netops firewall test --protocol tcp|udp --source IP --port N [--dest LISTENER]
  netops firewall export [--format yaml|json]
  netops firewall import FILE [--format yaml|json]   (replaces the whole configuration and the blocklist)`;

const commandFlags = {
  json: { type: 'boolean' },
  ttl: { type: 'string' },
  reason: { type: 'string' },
  action: { type: 'string' },
  source: { type: 'string' },
  protocol: { type: 'string' },
  port: { type: 'string' },
  dest: { type: 'string' },
  priority: { type: 'string' },
  name: { type: 'string' },
  comment: { type: 'string' },
  disabled: { type: 'boolean' },
  format: { type: 'string' },
  listener: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'ban-after': { type: 'string' },
  'ban-window': { type: 'string' },
  'ban-for': { type: 'string' },
  file: { type: 'string' },
} as const;

/** Splits `firewall ...` arguments into the verb path and its flags; connection flags are parsed by the caller. */
export function parseFirewallArgs(args: string[], connectionFlags: Record<string, { type: 'string' | 'boolean' }>) {
  const [verb, ...rest] = args;
  const sub = verb === 'rules' || verb === 'policy' || verb === 'limit' || verb === 'sets' ? rest.shift() : undefined;
  const { values, positionals } = parseFlags(rest, { ...connectionFlags, ...commandFlags });
  return { verb, sub, values: values as Flags, positionals };
}

/** Validates what the CLI can check itself, so a typo is named by its flag before anything is sent. */
function ttlSeconds(flags: Flags): number | undefined {
  if (flags.ttl === undefined) return undefined;
  const seconds = parseDurationSeconds(String(flags.ttl));
  if (seconds === undefined) throw new UsageError(`--ttl must be a duration like 30s, 10m, 2h or 7d, not "${flags.ttl}"`);
  if (seconds > MAX_BLOCK_TTL_SECONDS) throw new UsageError(`--ttl must be at most 365d (leave it out for a block until unblocked), not "${flags.ttl}"`);
  return seconds;
}

function cidrArgument(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`${what} is required`);
  if (!parseCidr(value)) throw new UsageError(`${what} must be an IP address or CIDR (10.0.0.0/8, 2001:db8::/32), not "${value}"`);
  return value;
}

function oneOf<T extends string>(value: string | boolean | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`${flag} must be ${allowed.join(' or ')}, not "${String(value)}"`);
  return value as T;
}

function ruleFromFlags(flags: Flags): RuleInput {
  const action = oneOf(flags.action, '--action', ['allow', 'deny'] as const);
  if (!action) throw new UsageError('--action is required (allow or deny)');
  const source = flags.source === undefined || flags.source === 'any' ? 'any' : String(flags.source);
  if (source !== 'any' && !source.startsWith('@')) cidrArgument(source, '--source');
  const protocol = oneOf(flags.protocol, '--protocol', ['tcp', 'udp', 'any'] as const) ?? 'any';
  const ports = flags.port === undefined ? 'any' : String(flags.port);
  const parsedPorts = parsePortSpec(ports);
  if (!parsedPorts.ok) throw new UsageError(`--port: ${parsedPorts.error}`);
  let priority: number | undefined;
  if (flags.priority !== undefined) {
    priority = Number(flags.priority);
    if (!/^\d{1,7}$/.test(String(flags.priority)) || priority > 1_000_000) throw new UsageError(`--priority must be a whole number from 0 to 1000000, not "${flags.priority}"`);
  }
  return {
    name: flags.name === undefined ? `${action} ${source} ${protocol}/${ports}` : String(flags.name),
    action,
    protocol,
    source,
    destination: flags.dest === undefined ? 'any' : String(flags.dest),
    ports,
    ...(priority !== undefined ? { priority } : {}),
    enabled: flags.disabled !== true,
    comment: flags.comment === undefined ? '' : String(flags.comment),
  };
}

type Run = (client: RpcClient<Contract>, out: Out) => Promise<void>;

/**
 * Checks everything the CLI can check (flags, addresses, files) and returns
 * the call to make, so bad input is named by its flag before any connection.
 */
export async function planFirewallCommand(parsed: ReturnType<typeof parseFirewallArgs>): Promise<Run> {
  const { verb, sub, values: flags, positionals } = parsed;
  const json = flags.json === true;
  const reason = flags.reason === undefined ? undefined : String(flags.reason);
  switch (verb) {
    case 'list':
      return async (client, out) => {
        const state = await client.api.firewall.state({}, TIMEOUT);
        if (json) return out(`${JSON.stringify(state, null, 2)}\n`);
        out(`default policy: ${state.defaultPolicy}${Object.entries(state.listenerPolicies).map(([l, p]) => `, ${l}: ${p}`).join('')}\n\n`);
        const sets = state.addressSets.length > 0 ? `${formatAddressSets(state.addressSets, state.rules)}\n` : '';
        out(`${formatRules(state.rules)}\n${sets}${state.rateLimits.length > 0 ? `${formatRateLimits(state.rateLimits)}\n` : ''}${formatBlocklist(state.blocklist)}`);
      };
    case 'block': {
      const address = cidrArgument(positionals[0], 'the address to block');
      const ttl = ttlSeconds(flags);
      return async (client, out) => {
        const result = await client.api.firewall.block({ address, reason: reason ?? '', ...(ttl ? { ttlSeconds: ttl } : {}) }, TIMEOUT);
        if (json) return out(`${JSON.stringify(result)}\n`);
        const until = result.entry.expiresAt ? ` until ${new Date(result.entry.expiresAt).toISOString()}` : '';
        out(`blocked ${result.entry.address}${until}; closed ${result.closedConnections} connection${result.closedConnections === 1 ? '' : 's'}\n`);
      };
    }
    case 'unblock': {
      const address = cidrArgument(positionals[0], 'the address to unblock');
      return async (client, out) => {
        await client.api.firewall.unblock({ address }, TIMEOUT);
        out(json ? '{"ok":true}\n' : `unblocked ${address}\n`);
      };
    }
    case 'import-blocklist': {
      const file = positionals[0];
      if (!file) throw new UsageError('import-blocklist takes a file');
      const ttl = ttlSeconds(flags);
      const text = await readFile(file, 'utf8');
      if (text.length > BLOCKLIST_FILE_MAX_CHARS) throw new UsageError(`${file} has ${text.length} characters; a drop list takes at most ${BLOCKLIST_FILE_MAX_CHARS}`);
      return async (client, out) => {
        const params = { reason: reason ?? `imported from ${file}`, ...(ttl ? { ttlSeconds: ttl } : {}) };
        const result = await importBlocklistInParts(text, (part) => client.api.firewall.importBlocklist({ text: part, ...params }, TIMEOUT));
        if (json) return out(`${JSON.stringify(result)}\n`);
        out(`added ${result.added}; skipped ${result.skipped.length}\n${result.skipped.map((s) => `  line ${s.line}: ${s.error}: ${s.text}\n`).join('')}`);
      };
    }
    case 'rules':
      return planRulesCommand(sub, flags, positionals, json);
    case 'policy':
      return planPolicyCommand(sub, flags, json);
    case 'limit':
      return planLimitCommand(sub, flags, positionals, json);
    case 'sets':
      return planSetsCommand(sub, flags, positionals, json);
    case 'test': {
      const protocol = oneOf(flags.protocol, '--protocol', ['tcp', 'udp'] as const) ?? 'tcp';
      if (flags.source === undefined || !parseIp(String(flags.source))) throw new UsageError(`--source must be an IP address, not "${flags.source ?? ''}"`);
      const port = Number(flags.port);
      if (!/^\d{1,5}$/.test(String(flags.port ?? '')) || port < 1 || port > 65535) throw new UsageError(`--port must be a port from 1 to 65535, not "${flags.port ?? ''}"`);
      const input = { protocol, source: String(flags.source), port, destination: flags.dest === undefined ? 'any' : String(flags.dest) };
      return async (client, out) => {
        const result = await client.api.firewall.test(input, TIMEOUT);
        out(json ? `${JSON.stringify(result)}\n` : `${result.action.toUpperCase()}: ${result.explanation}\n`);
      };
    }
    case 'export': {
      const format = oneOf(flags.format, '--format', ['yaml', 'json'] as const) ?? 'yaml';
      return async (client, out) => out((await client.api.firewall.exportConfig({ format }, TIMEOUT)).text);
    }
    case 'import': {
      const file = positionals[0];
      if (!file) throw new UsageError('import takes a file');
      const format = oneOf(flags.format, '--format', ['yaml', 'json'] as const) ?? (file.endsWith('.json') ? 'json' : 'yaml');
      const text = await readFile(file, 'utf8');
      return async (client, out) => {
        const result = await client.api.firewall.importConfig({ format, ...(await textParam(text, (part) => client.api.uploads.append(part, TIMEOUT))) }, TIMEOUT);
        out(json ? `${JSON.stringify(result)}\n` : `imported ${result.rules} rules, ${result.blocklist} blocklist entries, ${result.addressSets} address sets\n`);
      };
    }
    default:
      throw new UsageError(`unknown firewall command "${verb ?? ''}"`);
  }
}

function planRulesCommand(sub: string | undefined, flags: Flags, positionals: string[], json: boolean): Run {
  switch (sub) {
    case 'list':
      return async (client, out) => {
        const { rules } = await client.api.firewall.state({}, TIMEOUT);
        out(json ? `${JSON.stringify(rules, null, 2)}\n` : formatRules(rules));
      };
    case 'add': {
      const input = ruleFromFlags(flags);
      return async (client, out) => {
        const rule = await client.api.firewall.addRule(input, TIMEOUT);
        out(json ? `${JSON.stringify(rule)}\n` : `added rule ${rule.id}: ${rule.name}\n`);
      };
    }
    case 'rm': {
      const id = positionals[0];
      if (!id) throw new UsageError('rules rm takes a rule id');
      return async (client, out) => {
        await client.api.firewall.removeRule({ id }, TIMEOUT);
        out(json ? '{"ok":true}\n' : `removed rule ${id}\n`);
      };
    }
    case 'enable':
    case 'disable': {
      const id = positionals[0];
      if (!id) throw new UsageError(`rules ${sub} takes a rule id`);
      const enabled = sub === 'enable';
      return async (client, out) => {
        const rule = await client.api.firewall.updateRule({ id, patch: { enabled } }, TIMEOUT);
        out(json ? `${JSON.stringify(rule)}\n` : `rule ${rule.id} (${rule.name}) ${enabled ? 'enabled' : 'disabled: connections it matched go to the next rule, or the default policy'}\n`);
      };
    }
    default:
      throw new UsageError(`firewall rules takes list, add, rm, enable or disable, not "${sub ?? ''}"`);
  }
}

function listenerArgument(value: string, what: string): string {
  if (!LISTENER_NAME.test(value)) throw new UsageError(`${what} must be a listener name (letters, digits, _ and -), not "${value}"`);
  return value;
}

function listenerFlag(flags: Flags, required: boolean): string | undefined {
  if (flags.listener === undefined) {
    if (required) throw new UsageError('--listener is required');
    return undefined;
  }
  return listenerArgument(String(flags.listener), '--listener');
}

function planPolicyCommand(sub: string | undefined, flags: Flags, json: boolean): Run {
  if (sub === 'clear') {
    const listener = listenerFlag(flags, true)!;
    return async (client, out) => {
      await client.api.firewall.clearListenerPolicy({ listener }, TIMEOUT);
      out(json ? '{"ok":true}\n' : `listener ${listener} follows the default policy again\n`);
    };
  }
  const policy = oneOf(sub, 'policy', ['allow', 'deny'] as const);
  if (!policy) throw new UsageError('firewall policy takes allow, deny or clear');
  const listener = listenerFlag(flags, false);
  return async (client, out) => {
    await client.api.firewall.setDefaultPolicy({ policy, ...(listener ? { listener } : {}) }, TIMEOUT);
    out(json ? '{"ok":true}\n' : `${listener ? `listener ${listener}` : 'default'} policy: ${policy}${policy === 'deny' ? ' (only what a rule allows gets in)' : ''}\n`);
  };
}

/** A whole number flag within bounds, named when wrong. */
function wholeFlag(flags: Flags, flag: string, min: number, max: number): number | undefined {
  const raw = flags[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d{1,9}$/.test(String(raw)) || value < min || value > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, not "${String(raw)}"`);
  return value;
}

function secondsFlag(flags: Flags, flag: string, maxSeconds: number): number | undefined {
  const raw = flags[flag];
  if (raw === undefined) return undefined;
  const seconds = parseDurationSeconds(String(raw));
  if (seconds === undefined || seconds < 1 || seconds > maxSeconds) throw new UsageError(`--${flag} must be a duration like 30s, 10m or 2h, up to ${formatDurationSeconds(maxSeconds)}, not "${String(raw)}"`);
  return seconds;
}

function planLimitCommand(sub: string | undefined, flags: Flags, positionals: string[], json: boolean): Run {
  const listener = positionals[0];
  if (sub !== 'set' && sub !== 'rm') throw new UsageError(`firewall limit takes set or rm, not "${sub ?? ''}"`);
  if (!listener) throw new UsageError(`limit ${sub} takes a listener name`);
  listenerArgument(listener, 'the listener');
  if (sub === 'rm') {
    return async (client, out) => {
      await client.api.firewall.removeRateLimit({ listener }, TIMEOUT);
      out(json ? '{"ok":true}\n' : `no rate limit on ${listener}\n`);
    };
  }
  const rateText = flags.rate === undefined ? undefined : String(flags.rate);
  const rate = rateText === undefined ? undefined : Number(rateText);
  if (rate === undefined) throw new UsageError('--rate is required (new connections a second, per source)');
  if (!/^\d+(\.\d+)?$/.test(rateText!) || !(rate > 0) || rate > 1_000_000) throw new UsageError(`--rate must be a number above 0, up to 1000000, not "${rateText}"`);
  const burst = wholeFlag(flags, 'burst', 1, 1_000_000);
  if (burst === undefined) throw new UsageError('--burst is required (connections a source may open at once)');
  const banAfter = wholeFlag(flags, 'ban-after', 0, 1_000_000);
  const banWindowSeconds = secondsFlag(flags, 'ban-window', 86_400);
  const banSeconds = secondsFlag(flags, 'ban-for', 30 * 86_400);
  const input = {
    listener,
    ratePerSecond: rate,
    burst,
    ...(banAfter !== undefined ? { banAfter } : {}),
    ...(banWindowSeconds !== undefined ? { banWindowSeconds } : {}),
    ...(banSeconds !== undefined ? { banSeconds } : {}),
  };
  return async (client, out) => {
    await client.api.firewall.setRateLimit(input, TIMEOUT);
    if (json) return out('{"ok":true}\n');
    const { rateLimits } = await client.api.firewall.state({}, TIMEOUT);
    const set = rateLimits.find((limit) => limit.listener === listener);
    out(set ? `rate limit on ${listener}: ${describeRateLimit(set)}\n` : `rate limit on ${listener} set\n`);
  };
}

function setNameArgument(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`sets ${command} takes an address set name, like @office`);
  if (!SET_NAME.test(value)) throw new UsageError(`the address set name must be @ and then letters, digits, _ or - (like @office), not "${value}"`);
  return value;
}

/** A set's entries from the arguments and a file (one a line, `#` comments), each checked, named by where it came from, and sent once. */
async function setEntries(positionals: string[], file: string | undefined): Promise<string[]> {
  const args = parseAddressSetText(positionals.join('\n'));
  if (args.bad) throw new UsageError(`an entry must be an IP address or CIDR (10.0.0.0/8, 2001:db8::/32), not "${args.bad.text}"`);
  if (file === undefined) return args.entries;
  const fromFile = parseAddressSetText(await readFile(file, 'utf8'));
  if (fromFile.bad) throw new UsageError(`${file}:${fromFile.bad.line}: an entry must be an IP address or CIDR, not "${fromFile.bad.text}"`);
  // Arguments and file together, each network once.
  return parseAddressSetText([...args.entries, ...fromFile.entries].join('\n')).entries;
}

function planSetsCommand(sub: string | undefined, flags: Flags, positionals: string[], json: boolean): Run | Promise<Run> {
  switch (sub) {
    case 'list':
      return async (client, out) => {
        const { addressSets, rules } = await client.api.firewall.state({}, TIMEOUT);
        out(json ? `${JSON.stringify(addressSets, null, 2)}\n` : formatAddressSets(addressSets, rules));
      };
    case 'set':
      return planSetCommand(positionals, flags, json);
    case 'rm': {
      const name = setNameArgument(positionals[0], 'rm');
      return async (client, out) => {
        await client.api.firewall.removeAddressSet({ name }, TIMEOUT);
        out(json ? '{"ok":true}\n' : `removed address set ${name}\n`);
      };
    }
    default:
      throw new UsageError(`firewall sets takes list, set or rm, not "${sub ?? ''}"`);
  }
}

async function planSetCommand(positionals: string[], flags: Flags, json: boolean): Promise<Run> {
  const name = setNameArgument(positionals[0], 'set');
  const entries = await setEntries(positionals.slice(1), flags.file === undefined ? undefined : String(flags.file));
  if (entries.length > 100_000) throw new UsageError(`${name} would have ${entries.length} entries; a set holds at most 100000`);
  // One message carries the set; a larger one goes in whole with `firewall import`.
  const bytes = Buffer.byteLength(JSON.stringify(entries));
  if (bytes > MAX_MESSAGE_BYTES - 4096) throw new UsageError(`${name}'s entries take ${bytes} bytes, more than one message carries (${MAX_MESSAGE_BYTES}); put the set in a file for \`netops firewall import\``);
  const set: AddressSet = { name, entries };
  return async (client, out) => {
    await client.api.firewall.setAddressSet(set, TIMEOUT);
    const { rules } = await client.api.firewall.state({}, TIMEOUT);
    const users = rules.filter((rule) => rule.source === name).length;
    if (json) return out(`${JSON.stringify({ name, entries: entries.length, usedByRules: users })}\n`);
    out(`address set ${name}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${users > 0 ? `, used by ${users} rule${users === 1 ? '' : 's'}` : ', used by no rule yet'}\n`);
  };
}

function formatAddressSets(sets: AddressSet[], rules: FirewallRule[]): string {
  const rows = sets.map((set) => {
    const users = rules.filter((rule) => rule.source === set.name).map((rule) => rule.id);
    const shown = set.entries.slice(0, 3).join(', ');
    return [set.name, String(set.entries.length), users.length > 0 ? users.join(', ') : '-', set.entries.length > 3 ? `${shown}, …` : shown];
  });
  return `${table(['ADDRESS SET', 'ENTRIES', 'USED BY', 'FIRST ENTRIES'], rows)}\n${sets.length} address set${sets.length === 1 ? '' : 's'}\n`;
}

function describeRateLimit(limit: RateLimit): string {
  const ban = limit.banAfter > 0 ? `; ${limit.banAfter} refusals within ${formatDurationSeconds(limit.banWindowSeconds)} ban the source for ${formatDurationSeconds(limit.banSeconds)}` : '; no bans';
  return `${limit.ratePerSecond}/s per source, burst ${limit.burst}${ban}`;
}

function formatRateLimits(limits: RateLimit[]): string {
  const rows = limits.map((limit) => [limit.listener, `${limit.ratePerSecond}/s`, String(limit.burst), limit.banAfter > 0 ? `${limit.banAfter} in ${formatDurationSeconds(limit.banWindowSeconds)} -> ${formatDurationSeconds(limit.banSeconds)}` : 'off']);
  return `${table(['RATE LIMIT ON', 'RATE', 'BURST', 'BAN'], rows)}\n${limits.length} rate limit${limits.length === 1 ? '' : 's'}\n`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

function formatRules(rules: FirewallRule[]): string {
  const rows = rules.map((r) => [r.id, String(r.priority), r.action, r.protocol, r.source, r.destination, r.ports, r.enabled ? 'yes' : 'no', String(r.hits), r.name]);
  return `${table(['ID', 'PRIO', 'ACTION', 'PROTO', 'SOURCE', 'DEST', 'PORTS', 'ON', 'HITS', 'NAME'], rows)}\n${rules.length} rule${rules.length === 1 ? '' : 's'}\n`;
}

function formatBlocklist(entries: BlockEntry[], now = Date.now()): string {
  const rows = entries.map((e) => [
    e.address,
    e.expiresAt === null ? 'never' : `${Math.max(0, Math.round((e.expiresAt - now) / 1000))}s`,
    String(e.hits),
    e.addedBy,
    e.reason,
  ]);
  return `${table(['BLOCKED', 'EXPIRES IN', 'HITS', 'BY', 'REASON'], rows)}\n${entries.length} blocked\n`;
}
