import { z } from 'zod';
import { cidrContains, parseCidr, parseIp, parsePortSpec, type ParsedIp } from '../net/index.ts';
import { importText, ok } from './common.ts';
import { hasTextOrUpload, TEXT_OR_UPLOAD, textOrUpload } from './uploads.ts';
import { request, stream } from './define.ts';
import { tableFrameSchema } from './table.ts';

/** The longest expiry a block takes: 365 days. A longer one is "until unblocked", which is no expiry. */
export const MAX_BLOCK_TTL_SECONDS = 365 * 86_400;
export const blockTtlSeconds = z.number().int().min(1).max(MAX_BLOCK_TTL_SECONDS);

export const firewallAction = z.enum(['allow', 'deny']);
export const firewallProtocol = z.enum(['tcp', 'udp', 'any']);
export type FirewallAction = z.infer<typeof firewallAction>;
export type FirewallProtocol = z.infer<typeof firewallProtocol>;

/** An address set's name: `@office`. */
export const setName = /^@[a-z0-9][a-z0-9_-]{0,62}$/i;
/** An entry point's or listener's name as firewall rules, policies and rate limits take it. */
export const listenerName = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/** An IP or CIDR, v4 or v6. */
export const cidrText = z
  .string()
  .max(64)
  .refine((value) => parseCidr(value) !== undefined, { message: 'must be an IP address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32' });

export const ipText = z
  .string()
  .max(64)
  .refine((value) => parseIp(value) !== undefined, { message: 'must be an IP address, e.g. 192.0.2.7 or 2001:db8::7' });

/** Where a connection comes from: any, an IP or CIDR, or a named address set (@office). */
export const ruleSource = z
  .string()
  .max(64)
  .refine((value) => value === 'any' || setName.test(value) || parseCidr(value) !== undefined, {
    message: 'must be "any", an IP or CIDR, or an address set like @office',
  });

/** Where it goes: any, a listener by name, or an IP or CIDR of ours. */
export const ruleDestination = z
  .string()
  .max(64)
  .refine((value) => value === 'any' || listenerName.test(value) || parseCidr(value) !== undefined, {
    message: 'must be "any", a listener name, or an IP or CIDR',
  });

export const rulePorts = z
  .string()
  .max(400)
  .superRefine((value, ctx) => {
    const parsed = parsePortSpec(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  });

const ruleFields = {
  name: z.string().min(1).max(80),
  action: firewallAction,
  protocol: firewallProtocol,
  source: ruleSource,
  destination: ruleDestination,
  ports: rulePorts,
  /** Lower runs first; the first matching rule decides. */
  priority: z.number().int().min(0).max(1_000_000),
  enabled: z.boolean(),
  comment: z.string().max(500),
};

export const ruleInput = z
  .object({
    ...ruleFields,
    protocol: ruleFields.protocol.default('any'),
    source: ruleFields.source.default('any'),
    destination: ruleFields.destination.default('any'),
    ports: ruleFields.ports.default('any'),
    priority: ruleFields.priority.default(1000),
    enabled: ruleFields.enabled.default(true),
    comment: ruleFields.comment.default(''),
  })
  .strict();

/** Only the fields given change: no defaults here, or a patch of {enabled} would reset the rest. */
export const rulePatch = z.object(ruleFields).partial().strict();
export type RulePatch = z.infer<typeof rulePatch>;

export type RuleInput = z.input<typeof ruleInput>;

export const firewallRule = ruleInput.extend({
  id: z.string(),
  hits: z.number().int().nonnegative(),
  lastHitAt: z.number().nullable(),
});

export type FirewallRule = z.infer<typeof firewallRule>;

export const addressSet = z
  .object({
    name: z.string().regex(setName, 'must look like @office'),
    entries: z.array(cidrText).max(100_000),
  })
  .strict();

export type AddressSet = z.infer<typeof addressSet>;

/** An address set's entries typed as text: one IP or CIDR a line, `#` starting a comment. */
export interface AddressSetText {
  /** Each entry once, as typed, in order. */
  entries: string[];
  /** The first line that is no IP or CIDR (1-based). */
  bad?: { line: number; text: string };
  /** The first entry given again (the same network, however written), and the line it first came on. */
  repeat?: { line: number; first: number };
}

/** The first of a set's entries that holds `ip`, or undefined. */
export function entryHolding(entries: readonly string[], ip: ParsedIp): string | undefined {
  return entries.find((entry) => {
    const cidr = parseCidr(entry);
    return cidr !== undefined && cidrContains(cidr, ip);
  });
}

/** The screen's and the CLI's reading of a set's entries, so both check and dedupe alike. */
export function parseAddressSetText(text: string): AddressSetText {
  const out: AddressSetText = { entries: [] };
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, '').trim();
    if (line === '') continue;
    const cidr = parseCidr(line);
    if (!cidr) {
      out.bad ??= { line: i + 1, text: line };
      continue;
    }
    const first = seen.get(cidr.text);
    if (first !== undefined) {
      out.repeat ??= { line: i + 1, first };
      continue;
    }
    seen.set(cidr.text, i + 1);
    out.entries.push(line);
  }
  return out;
}

export const blockEntry = z.object({
  address: z.string(),
  reason: z.string(),
  addedBy: z.string(),
  addedAt: z.number(),
  /** null: until unblocked. */
  expiresAt: z.number().nullable(),
  hits: z.number().int().nonnegative(),
});

export type BlockEntry = z.infer<typeof blockEntry>;

/** How IPv6 sources are grouped by rate limits unless told otherwise: per /64, a host's usual allocation. */
export const DEFAULT_IPV6_RATE_LIMIT_PREFIX = 64;

export const rateLimitInput = z
  .object({
    listener: z.string().regex(listenerName, 'must be a listener name'),
    /** New connections (or datagrams) per second, per source IP. */
    ratePerSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000),
    /** fail2ban style: this many refusals within banWindowSeconds put the source on the blocklist. 0: never ban. */
    banAfter: z.number().int().min(0).max(1_000_000).default(0),
    banWindowSeconds: z.number().int().min(1).max(86_400).default(60),
    banSeconds: z.number().int().min(1).max(30 * 86_400).default(600),
    /**
     * IPv6 sources share a bucket, and a ban, per prefix of this length: one
     * host is handed a /64 (2^64 addresses), so a limit per address would
     * limit nothing. 128: per address. IPv4 sources are limited per address.
     */
    ipv6Prefix: z.number().int().min(1).max(128).default(DEFAULT_IPV6_RATE_LIMIT_PREFIX),
  })
  .strict();

export type RateLimit = z.infer<typeof rateLimitInput>;

/** The listener name of the headless console in firewall rules, policies, decisions and connection rows. */
export const CONSOLE_LISTENER = 'console';

/** `anti-lockout`: a loopback client reaching the console, which nothing in the firewall refuses (see console.antiLockout). */
export const decisionReason = z.enum(['rule', 'default', 'blocklist', 'rate-limit', 'anti-lockout']);

export const firewallDecision = z.object({
  id: z.string(),
  at: z.number(),
  protocol: z.enum(['tcp', 'udp']),
  source: z.string(),
  destination: z.string(),
  port: z.number().int(),
  action: firewallAction,
  reason: decisionReason,
  ruleId: z.string().nullable(),
  ruleName: z.string().nullable(),
});

export type FirewallDecision = z.infer<typeof firewallDecision>;

export const firewallState = z.object({
  defaultPolicy: firewallAction,
  listenerPolicies: z.record(z.string(), firewallAction),
  rules: z.array(firewallRule),
  addressSets: z.array(addressSet),
  blocklist: z.array(blockEntry),
  rateLimits: z.array(rateLimitInput),
  counters: z.object({
    allowed: z.number().int(),
    denied: z.number().int(),
    deniedByBlocklist: z.number().int(),
    deniedByRateLimit: z.number().int(),
    bans: z.number().int(),
  }),
  generation: z.number().int(),
  /** The listener loopback clients always reach (the anti-lockout rule), or null when it is off. */
  antiLockoutListener: z.string().nullable(),
});

export type FirewallState = z.infer<typeof firewallState>;

/**
 * The live state: all but the blocklist, which can hold a million imported
 * entries and travels as a table of its own (the blocklist stream).
 */
/** How many of a set's entries the live state carries: a set may hold 100,000, and the state goes out every second. */
export const ADDRESS_SET_PREVIEW = 100;

/** A set in the live state: its size and its first entries; firewall.addressSet has them all. */
export const addressSetSummary = z.object({
  name: z.string(),
  size: z.number().int().nonnegative(),
  entries: z.array(z.string()).max(ADDRESS_SET_PREVIEW),
});

export type AddressSetSummary = z.infer<typeof addressSetSummary>;

export const firewallLiveState = firewallState
  .omit({ blocklist: true, addressSets: true })
  .extend({ blocklistSize: z.number().int().nonnegative(), addressSets: z.array(addressSetSummary) });

export type FirewallLiveState = z.infer<typeof firewallLiveState>;

/** A blocklist entry as a table row: its id is its address. */
export const blockRow = blockEntry.extend({ id: z.string() });

export type BlockRow = z.infer<typeof blockRow>;

/** The blocklist table's frames: hits move on their own, as patches. */
export const blocklistFrame = tableFrameSchema(blockRow, z.object({ id: z.string(), hits: z.number().int().nonnegative() }).strict());

export type BlocklistFrame = z.infer<typeof blocklistFrame>;

export const firewallTestInput = z
  .object({
    protocol: z.enum(['tcp', 'udp']),
    source: ipText,
    /** A listener name, or an IP of ours. */
    destination: z.string().max(64).default('any'),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

export const firewallTestResult = z.object({
  action: firewallAction,
  reason: decisionReason,
  ruleId: z.string().nullable(),
  ruleName: z.string().nullable(),
  explanation: z.string(),
});

export const exportFormat = z.enum(['yaml', 'json']);

export const firewallService = {
  state: request({ params: z.object({}).strict(), result: firewallState }),
  addRule: request({ params: ruleInput, result: firewallRule }),
  updateRule: request({ params: z.object({ id: z.string().max(64), patch: rulePatch }).strict(), result: firewallRule }),
  removeRule: request({ params: z.object({ id: z.string().max(64) }).strict(), result: ok }),
  setDefaultPolicy: request({
    params: z.object({ policy: firewallAction, listener: z.string().regex(listenerName).optional() }).strict(),
    result: ok,
  }),
  clearListenerPolicy: request({ params: z.object({ listener: z.string().regex(listenerName) }).strict(), result: ok }),
  setAddressSet: request({ params: addressSet, result: ok }),
  /** One set with every entry (the live state has the first ADDRESS_SET_PREVIEW). */
  addressSet: request({ params: z.object({ name: z.string().regex(setName) }).strict(), result: addressSet }),
  /** The sets with an entry that holds `address`. */
  addressSetsHolding: request({ params: z.object({ address: ipText }).strict(), result: z.object({ names: z.array(z.string()) }) }),
  removeAddressSet: request({ params: z.object({ name: z.string().regex(setName) }).strict(), result: ok }),
  block: request({
    params: z
      .object({ address: cidrText, ttlSeconds: blockTtlSeconds.optional(), reason: z.string().max(500).default('') })
      .strict(),
    result: z.object({ entry: blockEntry, closedConnections: z.number().int() }),
  }),
  unblock: request({ params: z.object({ address: cidrText }).strict(), result: ok }),
  importBlocklist: request({
    params: z
      .object({ text: importText, reason: z.string().max(500).default('imported'), ttlSeconds: blockTtlSeconds.optional() })
      .strict(),
    result: z.object({ added: z.number().int(), skipped: z.array(z.object({ line: z.number().int(), text: z.string(), error: z.string() })) }),
  }),
  setRateLimit: request({ params: rateLimitInput, result: ok }),
  removeRateLimit: request({ params: z.object({ listener: z.string().regex(listenerName) }).strict(), result: ok }),
  test: request({ params: firewallTestInput, result: firewallTestResult }),
  exportConfig: request({ params: z.object({ format: exportFormat }).strict(), result: z.object({ text: z.string() }) }),
  importConfig: request({
    params: z.object({ format: exportFormat, ...textOrUpload }).strict().refine(hasTextOrUpload, TEXT_OR_UPLOAD),
    result: z.object({ rules: z.number().int(), blocklist: z.number().int(), addressSets: z.number().int() }),
  }),
  /** The state but the blocklist, on every change and once a second (the counters), at most 10 times a second. */
  live: stream({ params: z.object({}).strict(), event: firewallLiveState, coalesce: 'latest' }),
  /** The blocklist as a live table: a snapshot, then what was added, removed or hit, at most once a second for hits. */
  blocklist: stream({
    params: z.object({}).strict(),
    event: blocklistFrame,
    coalesce: 'table',
  }),
  /** Recent decisions (a ring), newest first, as a live table. */
  decisions: stream({ params: z.object({}).strict(), event: tableFrameSchema(firewallDecision), coalesce: 'table' }),
};
