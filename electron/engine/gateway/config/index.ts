/**
 * The gateway's config file: loading with per-item status, the JSON Schema
 * editors use, edits that keep the operator's comments, and the version
 * history with diffs.
 */
export { loadGatewayConfigText, ITEM_LISTS, type ConfigIssue, type GatewayItemKind, type LoadedGatewayConfig } from './load.ts';
export { editGatewayConfigText, type GatewayConfigEdit } from './edit.ts';
export { gatewayFileSchema, gatewayJsonSchema, gatewayJsonSchemaText, GATEWAY_SCHEMA_ID } from './json-schema.ts';
export { GatewayConfigHistory, GATEWAY_VERSIONS_DIR, type GatewayConfigHistoryOptions, type GatewayConfigVersion, type VersionSource } from './history.ts';
export { diffLines, unifiedDiff, type LineDiff } from './line-diff.ts';
