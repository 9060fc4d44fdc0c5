import { z } from 'zod';
import { addressSet, blockEntry, cidrText, firewallAction, rateLimitInput, ruleInput } from '../../../shared/contract/firewall.ts';
import { ErrorCodes, NetopsError, type ErrorCode } from '../../../shared/errors.ts';

/**
 * The shapes the firewall reads from outside: firewall.json in the data dir
 * and exported configurations. Both are made of the contract's schemas, so a
 * rule that the wire would refuse is refused here too, with the same words.
 */
export const listenerName = rateLimitInput.shape.listener;

const storedBlock = blockEntry
  .omit({ hits: true })
  .extend({ address: cidrText, reason: z.string().max(500), addedBy: z.string().min(1).max(100) })
  .strict();

export const firewallFile = z
  .object({
    version: z.literal(1),
    nextRuleId: z.number().int().min(1),
    defaultPolicy: firewallAction,
    listenerPolicies: z.record(listenerName, firewallAction),
    addressSets: z.array(addressSet),
    rules: z.array(ruleInput.extend({ id: z.string().regex(/^r[1-9]\d*$/, 'must look like r12') })),
    rateLimits: z.array(rateLimitInput),
    blocklist: z.array(storedBlock),
  })
  .strict();

export type FirewallFile = z.output<typeof firewallFile>;

/** An exported configuration. Everything but the version may be left out. */
export const firewallExport = z
  .object({
    version: z.literal(1).default(1),
    defaultPolicy: firewallAction.default('allow'),
    listenerPolicies: z.record(listenerName, firewallAction).default({}),
    addressSets: z.array(addressSet).default([]),
    rules: z.array(ruleInput).default([]),
    rateLimits: z.array(rateLimitInput).default([]),
    blocklist: z.array(storedBlock).default([]),
  })
  .strict();

export type FirewallExport = z.output<typeof firewallExport>;

export interface Problem {
  path: Array<string | number>;
  message: string;
}

export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    // An unknown field is named itself, not the object that holds it.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
    return [{ path, message: issue.message }];
  });
}

const MAX_LISTED_PROBLEMS = 10;

export function problemsMessage(problems: readonly Problem[], prefix = ''): string {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => {
    const field = formatPath(p.path);
    return `${prefix}${field ? `${field}: ` : ''}${p.message}`;
  });
  if (problems.length > MAX_LISTED_PROBLEMS) lines.push(`${prefix}and ${problems.length - MAX_LISTED_PROBLEMS} more problems`);
  return lines.join('\n');
}

/** Parses against a schema; failures become one NetopsError listing `field: message` per problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, code: ErrorCode = ErrorCodes.invalidArgument, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new NetopsError(code, problemsMessage(zodProblems(parsed.error), prefix));
}

/**
 * Checks what the schemas cannot see one item at a time: names that must be
 * unique, and rules that name address sets.
 */
export function crossCheck(config: {
  addressSets: ReadonlyArray<{ name: string }>;
  rules: ReadonlyArray<{ source?: string | undefined; id?: string }>;
  rateLimits: ReadonlyArray<{ listener: string }>;
  blocklist: ReadonlyArray<{ address: string }>;
  canonicalAddress: (address: string) => string;
}): Problem[] {
  const problems: Problem[] = [];
  const firstIndex = <T>(items: readonly T[], key: (item: T) => string, field: string, what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const k = key(item);
      const earlier = seen.get(k);
      if (earlier !== undefined) problems.push({ path: [field, index, what], message: `duplicate of ${field}[${earlier}]` });
      else seen.set(k, index);
    });
    return seen;
  };
  const sets = firstIndex(config.addressSets, (s) => s.name, 'addressSets', 'name');
  firstIndex(config.rateLimits, (r) => r.listener, 'rateLimits', 'listener');
  firstIndex(config.blocklist, (b) => config.canonicalAddress(b.address), 'blocklist', 'address');
  if (config.rules.every((r) => r.id !== undefined)) firstIndex(config.rules, (r) => r.id!, 'rules', 'id');
  config.rules.forEach((rule, index) => {
    if (rule.source?.startsWith('@') && !sets.has(rule.source)) problems.push({ path: ['rules', index, 'source'], message: `no address set named ${rule.source}` });
  });
  return problems;
}
