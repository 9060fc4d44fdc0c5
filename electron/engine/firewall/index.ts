/**
 * The firewall engine. Firewall is the whole of it: rules, address sets,
 * default policies, the blocklist and rate limits, persisted in the data dir
 * as firewall.json, with decide() for every new connection. The rest is
 * exported for tests and the bench: the compiled rule set, and the
 * allocation-free address parser decide() uses.
 */
export { Firewall, FIREWALL_FILE, type BlocklistImportResult, type DecideInput, type FirewallOptions, type RateLimitInput, type TestInput } from './firewall.ts';
export { BLOCKLISTED, DEFAULT_ALLOWED, DEFAULT_DENIED, RATE_LIMIT_DENIED, RULE_ALLOW, RULE_DENY, type Decision } from './decision.ts';
export { CompiledRuleSet, WinnerTable, newRuleRecord, PROTOCOL_TCP, PROTOCOL_UDP, type DecisionResult, type MatchContext, type NormalizedRule, type RuleRecord } from './rule-set.ts';
export { FAMILY_NONE, FAMILY_V4, FAMILY_V6, newAddressWords, parseAddressInto, v6PrefixCidr, v6PrefixKey, type AddressFamily, type AddressWords } from './address.ts';
export { parseBlocklistText, type BlocklistLine, type SkippedLine } from './blocklist-text.ts';
