import type { z } from 'zod';
import {
  addressSet,
  DEFAULT_IPV6_RATE_LIMIT_PREFIX,
  entryHolding,
  firewallService,
  firewallTestInput,
  MAX_BLOCK_TTL_SECONDS,
  MAX_MESSAGE_BYTES,
  parseAddressSetText,
  rateLimitInput,
  ruleInput,
  type AddressSet,
  type AddressSetSummary,
  type FirewallAction,
  type FirewallDecision,
  type FirewallProtocol,
  type FirewallRule,
  type RuleInput,
} from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { formatDurationSeconds, formatIp, parseCidr, parseDurationSeconds, parseIp, parsePrefixLength, type ParsedCidr } from '../../../shared/net/index.ts';
import type { FieldErrors, Validation } from '../../components/index.ts';

/**
 * Form validation for the Firewall screen, run on every keystroke. The
 * contract's zod schemas decide what is valid (so the form can never accept
 * what the server would refuse); this module turns their issues into one
 * message per field, in words an operator reads at a glance, and adds hints
 * that are not errors (a CIDR with host bits, an address set not defined yet).
 */

/** The first issue of each top-level field. */
function issuesByField<F extends string>(error: z.ZodError, fields: readonly F[]): FieldErrors<F> {
  const out: FieldErrors<F> = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && (fields as readonly string[]).includes(field) && out[field as F] === undefined) out[field as F] = issue.message;
  }
  return out;
}

function hasErrors(errors: FieldErrors<string>): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}

function wholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** A CIDR with host bits set is valid but means its network: say which. */
function networkHint(text: string): string | undefined {
  if (!text.includes('/')) return undefined;
  const cidr = parseCidr(text);
  if (!cidr) return undefined;
  const canonical = cidr.text;
  return canonical !== text.toLowerCase() ? `Means ${canonical}` : undefined;
}

function breadthHint(text: string): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return undefined;
  if (cidr.prefix === 0) return `Matches every IPv${cidr.family} address`;
  if (cidr.family === 4 && cidr.prefix < 8) return `Matches ${(2 ** (32 - cidr.prefix)).toLocaleString('en-US')} addresses`;
  return undefined;
}

function addressHint(text: string): string | undefined {
  const network = networkHint(text);
  const breadth = breadthHint(text);
  if (network && breadth) return `${network}: ${breadth[0]!.toLowerCase()}${breadth.slice(1)}`;
  return network ?? breadth;
}

// ---------- rules ----------

export const RULE_FIELDS = ['name', 'action', 'protocol', 'source', 'destination', 'ports', 'priority', 'enabled', 'comment'] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

export interface RuleFormValues {
  name: string;
  action: FirewallAction;
  protocol: FirewallProtocol;
  source: string;
  destination: string;
  ports: string;
  /** Text, as typed. */
  priority: string;
  enabled: boolean;
  comment: string;
}

export interface RuleFormContext {
  /** Address sets that exist, e.g. @office. */
  addressSets?: readonly string[];
  /** Listeners the overview knows. */
  listeners?: readonly string[];
}

export function emptyRuleForm(priority: number): RuleFormValues {
  return { name: '', action: 'deny', protocol: 'tcp', source: 'any', destination: 'any', ports: 'any', priority: String(priority), enabled: true, comment: '' };
}

export function ruleFormFromRule(rule: RuleInput): RuleFormValues {
  return {
    name: rule.name,
    action: rule.action,
    protocol: rule.protocol ?? 'any',
    source: rule.source ?? 'any',
    destination: rule.destination ?? 'any',
    ports: rule.ports ?? 'any',
    priority: String(rule.priority ?? 1000),
    enabled: rule.enabled ?? true,
    comment: rule.comment ?? '',
  };
}

/** Whether a rule can turn this decision around: the blocklist, a rate limit and the anti-lockout rule come before every rule. */
export function decisionTakesRule(decision: FirewallDecision): boolean {
  return decision.reason === 'rule' || decision.reason === 'default';
}

/**
 * A new rule that would have decided `decision` the other way: the opposite
 * action for its protocol, source, listener and port, just ahead of the rule
 * that decided it (one below its priority), or at the end (the form's
 * default) when the default policy did.
 */
export function ruleDraftFromDecision(decision: FirewallDecision, rules: readonly FirewallRule[]): Partial<RuleFormValues> {
  const action: FirewallAction = decision.action === 'allow' ? 'deny' : 'allow';
  const parsed = parseIp(decision.source);
  // ::ffff:10.0.0.1 is 10.0.0.1 to the rules: written as people write it.
  const source = parsed ? formatIp(parsed) : decision.source;
  const decidedBy = decision.ruleId === null ? undefined : rules.find((rule) => rule.id === decision.ruleId);
  return {
    name: `${action} ${source} to ${decision.destination} port ${decision.port}`.slice(0, 80),
    action,
    protocol: decision.protocol,
    source,
    destination: decision.destination,
    ports: String(decision.port),
    ...(decidedBy ? { priority: String(Math.max(0, decidedBy.priority - 1)) } : {}),
  };
}

/** Blank selectors mean "any", as the placeholders say. */
function selectorText(text: string): string {
  const trimmed = text.trim();
  return trimmed === '' ? 'any' : trimmed.toLowerCase() === 'any' ? 'any' : trimmed;
}

export function validateRuleForm(values: RuleFormValues, context: RuleFormContext = {}): Validation<RuleField, z.output<typeof ruleInput>> {
  const errors: FieldErrors<RuleField> = {};
  const hints: FieldErrors<RuleField> = {};
  const name = values.name.trim();
  if (name === '') errors.name = 'Give the rule a name';
  else if (name.length > 80) errors.name = `At most 80 characters (${name.length} now)`;

  const priority = wholeNumber(values.priority);
  if (values.priority.trim() === '') errors.priority = 'Enter a priority: lower runs first';
  else if (priority === undefined || priority > 1_000_000) errors.priority = 'A whole number from 0 to 1,000,000';

  const source = selectorText(values.source);
  const destination = selectorText(values.destination);
  const ports = values.ports.trim() === '' ? 'any' : values.ports.trim();
  const candidate = {
    name,
    action: values.action,
    protocol: values.protocol,
    source,
    destination,
    ports,
    priority: priority ?? 0,
    enabled: values.enabled,
    comment: values.comment,
  };
  const parsed = ruleInput.safeParse(candidate);
  if (!parsed.success) {
    const issues = issuesByField(parsed.error, RULE_FIELDS);
    for (const field of RULE_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = capitalize(issues[field]);
  }
  if (errors.comment === undefined && values.comment.length > 500) errors.comment = `At most 500 characters (${values.comment.length} now)`;

  if (!errors.source) {
    if (source.startsWith('@') && context.addressSets && !context.addressSets.includes(source)) hints.source = `No address set named ${source} yet: it matches nothing until one is defined`;
    else hints.source = addressHint(source);
  }
  if (!errors.destination) {
    if (destination !== 'any' && !parseCidr(destination) && context.listeners && !context.listeners.includes(destination)) {
      hints.destination = `No entry point named ${destination} is running`;
    } else hints.destination = networkHint(destination);
  }
  if (!errors.ports && values.protocol === 'any' && ports !== 'any') hints.ports = 'Applies to TCP and UDP alike';

  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : parsed.data };
}

/**
 * Every field of a rule, with changes applied, for updateRule. The contract's
 * patch schema (`ruleInput.partial()`) fills its defaults into fields a patch
 * leaves out, so a partial patch would reset them; a complete one cannot.
 */
export function completeRulePatch(rule: FirewallRule, changes: Partial<z.output<typeof ruleInput>> = {}): z.output<typeof ruleInput> {
  return {
    name: rule.name,
    action: rule.action,
    protocol: rule.protocol,
    source: rule.source,
    destination: rule.destination,
    ports: rule.ports,
    priority: rule.priority,
    enabled: rule.enabled,
    comment: rule.comment,
    ...changes,
  };
}

/** Only the fields that differ: whether there is anything to save. */
export function rulePatch(before: RuleInput, after: z.output<typeof ruleInput>): Partial<z.output<typeof ruleInput>> {
  const patch: Record<string, unknown> = {};
  const original = ruleFormFromRule(before);
  for (const field of RULE_FIELDS) {
    const previous = field === 'priority' ? Number(original.priority) : original[field];
    if (after[field] !== previous) patch[field] = after[field];
  }
  return patch as Partial<z.output<typeof ruleInput>>;
}

// ---------- blocking ----------

export const BLOCK_FIELDS = ['address', 'ttl', 'reason'] as const;
export type BlockField = (typeof BLOCK_FIELDS)[number];

export interface BlockFormValues {
  address: string;
  /** Empty: until unblocked. */
  ttl: string;
  reason: string;
}

export type BlockParams = z.input<typeof firewallService.block.params>;

export { MAX_BLOCK_TTL_SECONDS };

/** `10m`, `2h`, `7d`; empty means no expiry. An error message, or the seconds. */
export function parseTtl(text: string, maxSeconds = MAX_BLOCK_TTL_SECONDS): { seconds: number | undefined; error?: string } {
  if (text.trim() === '') return { seconds: undefined };
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) return { seconds: undefined, error: 'A duration like 90s, 10m, 2h or 7d; empty for no expiry' };
  if (seconds > maxSeconds) return { seconds: undefined, error: `At most ${Math.floor(maxSeconds / 86_400)} days` };
  return { seconds };
}

export function validateBlockForm(values: BlockFormValues): Validation<BlockField, BlockParams> {
  const errors: FieldErrors<BlockField> = {};
  const hints: FieldErrors<BlockField> = {};
  const address = values.address.trim();
  if (address === '') errors.address = 'An IP address or a CIDR range, e.g. 203.0.113.7 or 198.51.100.0/24';
  else if (!parseCidr(address)) errors.address = 'Not an IP address or CIDR, e.g. 203.0.113.7 or 198.51.100.0/24';
  else hints.address = addressHint(address);
  const ttl = parseTtl(values.ttl);
  if (ttl.error) errors.ttl = ttl.error;
  if (values.reason.length > 500) errors.reason = `At most 500 characters (${values.reason.length} now)`;
  if (hasErrors(errors)) return { errors, hints, value: null };
  const value: BlockParams = { address, reason: values.reason.trim(), ...(ttl.seconds === undefined ? {} : { ttlSeconds: ttl.seconds }) };
  const parsed = firewallService.block.params.safeParse(value);
  if (!parsed.success) return { errors: issuesByField(parsed.error, ['address', 'reason']), hints, value: null };
  return { errors, hints, value };
}

/**
 * The network "Block this IP" offers besides the address: an IPv6 peer's
 * /64, the share a host is usually handed (it can change address within it
 * at will). null for IPv4 (an IPv4-mapped address included) and for what is
 * not an address.
 */
export function blockNetworkOf(address: string): ParsedCidr | null {
  if (parseIp(address)?.family !== 6) return null;
  return parseCidr(`${address}/64`) ?? null;
}

// ---------- rate limits ----------

export const RATE_LIMIT_FIELDS = ['listener', 'ratePerSecond', 'burst', 'banAfter', 'banWindowSeconds', 'banSeconds', 'ipv6Prefix'] as const;
export type RateLimitField = (typeof RATE_LIMIT_FIELDS)[number];

export interface RateLimitFormValues {
  listener: string;
  ratePerSecond: string;
  burst: string;
  banAfter: string;
  /** Durations: 60, 60s, 5m. */
  banWindow: string;
  banDuration: string;
  /** The prefix length IPv6 sources are grouped by: 64, or /64. */
  ipv6Prefix: string;
}

export function rateLimitFormFromLimit(limit: z.output<typeof rateLimitInput> | null, listener = ''): RateLimitFormValues {
  if (!limit) return { listener, ratePerSecond: '10', burst: '20', banAfter: '0', banWindow: '60s', banDuration: '10m', ipv6Prefix: String(DEFAULT_IPV6_RATE_LIMIT_PREFIX) };
  return {
    listener: limit.listener,
    ratePerSecond: String(limit.ratePerSecond),
    burst: String(limit.burst),
    banAfter: String(limit.banAfter),
    banWindow: formatDurationSeconds(limit.banWindowSeconds),
    banDuration: formatDurationSeconds(limit.banSeconds),
    ipv6Prefix: String(limit.ipv6Prefix),
  };
}

export function validateRateLimitForm(values: RateLimitFormValues): Validation<RateLimitField, z.output<typeof rateLimitInput>> {
  const errors: FieldErrors<RateLimitField> = {};
  const hints: FieldErrors<RateLimitField> = {};
  if (values.listener.trim() === '') errors.listener = 'Pick an entry point';
  const rateText = values.ratePerSecond.trim();
  const rate = /^\d+(\.\d+)?$/.test(rateText) ? Number(rateText) : undefined;
  if (rate === undefined || rate <= 0) errors.ratePerSecond = 'A positive number, e.g. 10 or 0.5';
  const burst = wholeNumber(values.burst);
  if (burst === undefined || burst < 1) errors.burst = 'A whole number, at least 1';
  const banAfter = wholeNumber(values.banAfter);
  if (banAfter === undefined) errors.banAfter = 'A whole number; 0 never bans';
  const window = parseTtl(values.banWindow, 86_400);
  if (window.error || window.seconds === undefined) errors.banWindowSeconds = window.error ?? 'A duration like 60s or 5m';
  const ban = parseTtl(values.banDuration, 30 * 86_400);
  if (ban.error || ban.seconds === undefined) errors.banSeconds = ban.error ?? 'A duration like 10m or 1h';
  const ipv6Prefix = parsePrefixLength(values.ipv6Prefix, 128);
  if (ipv6Prefix === undefined || ipv6Prefix < 1) errors.ipv6Prefix = 'A prefix length from 1 to 128, e.g. 64';
  const candidate = {
    listener: values.listener.trim(),
    ratePerSecond: rate ?? 0,
    burst: burst ?? 0,
    banAfter: banAfter ?? 0,
    banWindowSeconds: window.seconds ?? 60,
    banSeconds: ban.seconds ?? 600,
    ipv6Prefix: ipv6Prefix ?? DEFAULT_IPV6_RATE_LIMIT_PREFIX,
  };
  const parsed = rateLimitInput.safeParse(candidate);
  if (!parsed.success) {
    const issues = issuesByField(parsed.error, RATE_LIMIT_FIELDS);
    for (const field of RATE_LIMIT_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = capitalize(issues[field]);
  }
  if (!errors.burst && !errors.ratePerSecond && rate !== undefined && burst !== undefined && burst < rate) {
    hints.burst = 'Smaller than the rate: a steady source at the limit is refused now and then';
  }
  if (!errors.banAfter && banAfter === 0) hints.banAfter = 'Never bans: refusals only';
  if (!errors.ipv6Prefix && ipv6Prefix !== undefined && ipv6Prefix > 64) {
    hints.ipv6Prefix = ipv6Prefix === 128 ? 'Per address: a host with a /64 has 2^64 of them' : 'Longer than a /64: a host with one has many such prefixes';
  }
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : parsed.data };
}

// ---------- the test box ----------

export const TEST_FIELDS = ['protocol', 'source', 'destination', 'port'] as const;
export type TestField = (typeof TEST_FIELDS)[number];

export interface TestFormValues {
  protocol: 'tcp' | 'udp';
  source: string;
  destination: string;
  port: string;
}

export function validateTestForm(values: TestFormValues): Validation<TestField, z.output<typeof firewallTestInput>> {
  const errors: FieldErrors<TestField> = {};
  const source = values.source.trim();
  if (source === '') errors.source = 'The client address to test, e.g. 203.0.113.7';
  else if (!parseIp(source)) errors.source = 'Not an IP address (a single address, not a range)';
  const port = wholeNumber(values.port);
  if (values.port.trim() === '') errors.port = 'The port the client connects to';
  else if (port === undefined || port < 1 || port > 65535) errors.port = 'A port from 1 to 65535';
  if (hasErrors(errors)) return { errors, hints: {}, value: null };
  const parsed = firewallTestInput.safeParse({ protocol: values.protocol, source, destination: values.destination.trim() || 'any', port });
  if (!parsed.success) return { errors: issuesByField(parsed.error, TEST_FIELDS), hints: {}, value: null };
  return { errors, hints: {}, value: parsed.data };
}

// ---------- address sets ----------

export const ADDRESS_SET_FIELDS = ['name', 'entries'] as const;
export type AddressSetField = (typeof ADDRESS_SET_FIELDS)[number];

export interface AddressSetFormValues {
  name: string;
  /** One IP or CIDR a line; `#` starts a comment. */
  entries: string;
}

/** A set the screen can save in one message; a larger one goes in with Import. */
const ADDRESS_SET_MAX_BYTES = MAX_MESSAGE_BYTES - 4096;

export function addressSetFormFrom(set: AddressSet | null): AddressSetFormValues {
  return set ? { name: set.name, entries: set.entries.join('\n') } : { name: '@', entries: '' };
}

/**
 * `existing`: the names of the sets there are, so a new set cannot take one
 * (an edit keeps its own name). Every line is checked, and the first bad one
 * is named by its number; a repeated entry is a hint, and is sent once.
 */
export function validateAddressSetForm(values: AddressSetFormValues, existing: readonly string[], editing: string | null): Validation<AddressSetField, AddressSet> {
  const errors: FieldErrors<AddressSetField> = {};
  const hints: FieldErrors<AddressSetField> = {};
  const name = values.name.trim();
  if (editing === null && existing.includes(name)) errors.name = `There is already a set named ${name}`;
  const { entries, bad, repeat } = parseAddressSetText(values.entries);
  if (bad) errors.entries = `Line ${bad.line}: "${bad.text}" is not an IP address or CIDR`;
  if (repeat) hints.entries = `Line ${repeat.line} repeats line ${repeat.first}: it is sent once`;
  if (entries.length === 0 && errors.entries === undefined) hints.entries = 'An empty set matches nothing';
  if (errors.entries === undefined && JSON.stringify(entries).length > ADDRESS_SET_MAX_BYTES) errors.entries = `${entries.length.toLocaleString('en-US')} entries are more than the screen sends at once: use Import for a set this large`;
  const parsed = addressSet.safeParse({ name, entries });
  if (!parsed.success) {
    const issues = issuesByField(parsed.error, ADDRESS_SET_FIELDS);
    for (const field of ADDRESS_SET_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = capitalize(issues[field]);
  }
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : parsed.data };
}

/**
 * The sets a filter shows: by name, or by the text of the entries the live
 * state carries; for an IP address, the sets that hold it, from `holding`
 * (the server's answer, which sees every entry) once it has come, else from
 * the entries at hand.
 */
export function filterAddressSets<S extends AddressSetSummary>(sets: readonly S[], query: string, holding?: ReadonlySet<string>): readonly S[] {
  const text = query.trim().toLowerCase();
  if (text === '') return sets;
  const ip = parseIp(text);
  return sets.filter((set) => {
    if (set.name.toLowerCase().includes(text)) return true;
    if (ip && holding) return holding.has(set.name);
    if (ip) return entryHolding(set.entries, ip) !== undefined;
    return set.entries.some((entry) => entry.toLowerCase().includes(text));
  });
}

// ---------- server errors ----------

/**
 * A refusal from the server that names a field (`params.source: must be...`,
 * `params.patch.ports: ...`, or a message that starts with the field name)
 * becomes that field's error; the toast carries the code either way.
 */
export function fieldErrorsFromServer<F extends string>(error: unknown, fields: readonly F[]): FieldErrors<F> {
  if (!(error instanceof NetopsError)) return {};
  if (error.code !== ErrorCodes.invalidArgument && error.code !== ErrorCodes.badParams) return {};
  const out: FieldErrors<F> = {};
  const known = new Map(fields.map((field) => [field.toLowerCase(), field]));
  for (const part of error.message.split(/;\s+/)) {
    const pathMatch = /^\s*((?:params\.)?(?:patch\.)?([A-Za-z]+)(?:\.[\w.]+)?)\s*:\s*(.+)$/.exec(part);
    const field = pathMatch ? known.get((pathMatch[2] ?? '').toLowerCase()) : undefined;
    if (field && pathMatch) {
      out[field] ??= capitalize((pathMatch[3] ?? '').trim());
      continue;
    }
    const leading = /^\s*"?([A-Za-z]+)"?\s+(.+)$/.exec(part);
    const leadingField = leading ? known.get((leading[1] ?? '').toLowerCase()) : undefined;
    if (leadingField) out[leadingField] ??= capitalize(part.trim());
  }
  return out;
}

function capitalize(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}
