import { readFile } from 'node:fs/promises';
import {
  gatewayName,
  instanceConfig,
  poolsByInstance,
  retryBudgetLabel,
  serviceSlowStartMs,
  slowStartShare,
  textParam,
  type ConfigVersion,
  type Contract,
  type GatewayEntryPointStatus,
  type GatewayRouterStatus,
  type GatewayServiceStatus,
  type GatewayStatus,
  type RouterConfig,
  type TrafficFigures,
} from '../../shared/contract/index.ts';
import { ErrorCodes, isNetopsError, NetopsError } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { parseFlags, UsageError } from './args.ts';

type Flags = Record<string, string | boolean | undefined>;
type Out = (text: string) => void;
type Run = (client: RpcClient<Contract>, out: Out) => Promise<void>;

const TIMEOUT = { timeoutMs: 10_000 };
/** Applying waits for every worker to swap its router generation, which takes longer than a read under load. */
const APPLY_TIMEOUT = { timeoutMs: 60_000 };

export const gatewayUsage = `  netops gateway routes [--json]
  netops gateway services [--json]
  netops gateway stats [--json]
  netops gateway apply FILE [--json]
  netops gateway versions [--json]
  netops gateway diff FROM TO
  netops gateway rollback ID [--json]
  netops gateway disable ROUTER [--json]
  netops gateway enable ROUTER [--json]
  netops gateway drain SERVICE URL [--json]
  netops gateway undrain SERVICE URL [--json]
  netops gateway keys create NAME [--json]
  netops gateway keys list [--json]
  netops gateway keys revoke ID`;

/** Splits `gateway ...` arguments into the verb path, its arguments and the flags, which may come anywhere. */
export function parseGatewayArgs(args: string[], connectionFlags: Record<string, { type: 'string' | 'boolean' }>) {
  const { values, positionals } = parseFlags(args, { ...connectionFlags, json: { type: 'boolean' } });
  const [verb, ...rest] = positionals;
  const sub = verb === 'keys' ? rest.shift() : undefined;
  return { verb, sub, values: values as Flags, positionals: rest };
}

function noArguments(positionals: string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`gateway ${command} takes no arguments, got "${positionals.join(' ')}"`);
}

function versionArgument(value: string | undefined, what: string): number {
  if (value === undefined) throw new UsageError(`${what} is required`);
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError(`${what} must be a version id (see "netops gateway versions"), not "${value}"`);
  return Number(value);
}

function exactly(positionals: string[], count: number, command: string, what: string): void {
  if (positionals.length !== count) throw new UsageError(`gateway ${command} takes ${what}`);
}

/**
 * Checks everything the CLI can check (arguments, the file to apply) and
 * returns the call to make, so bad input is named before any connection.
 */
export async function planGatewayCommand(parsed: ReturnType<typeof parseGatewayArgs>): Promise<Run> {
  const { verb, sub, values: flags, positionals } = parsed;
  const json = flags.json === true;
  switch (verb) {
    case 'routes':
      noArguments(positionals, 'routes');
      return async (client, out) => {
        const { routers } = await client.api.gateway.status({}, TIMEOUT);
        out(json ? `${JSON.stringify(routers, null, 2)}\n` : formatRouters(routers));
      };
    case 'services':
      noArguments(positionals, 'services');
      return async (client, out) => {
        const { services } = await client.api.gateway.status({}, TIMEOUT);
        out(json ? `${JSON.stringify(services, null, 2)}\n` : formatServices(services));
      };
    case 'stats':
      noArguments(positionals, 'stats');
      return async (client, out) => {
        const status = await client.api.gateway.status({}, TIMEOUT);
        const { version, workers, workersDraining, totals, entryPoints } = status;
        out(json ? `${JSON.stringify({ version, workers, workersDraining, totals, entryPoints }, null, 2)}\n` : formatStats(status));
      };
    case 'apply': {
      exactly(positionals, 1, 'apply', 'one file');
      const file = positionals[0]!;
      const text = await readConfigFile(file);
      return async (client, out) => {
        const params = await textParam(text, (part) => client.api.uploads.append(part, APPLY_TIMEOUT));
        const applied = await client.api.gateway.apply({ ...params, source: 'cli' }, APPLY_TIMEOUT).catch(async (error: unknown) => {
          throw await withLocalFileName(client, error, file);
        });
        await reportApplied(client, out, json, applied, `applied ${file}: version ${applied.version}`, { localFile: file, listSwitchedOff: true });
      };
    }
    case 'versions':
      noArguments(positionals, 'versions');
      return async (client, out) => {
        const [versions, status] = await Promise.all([client.api.gateway.versions({}, TIMEOUT), client.api.gateway.status({}, TIMEOUT)]);
        out(json ? `${JSON.stringify(versions, null, 2)}\n` : formatVersions(versions, status.version));
      };
    case 'diff': {
      exactly(positionals, 2, 'diff', 'two version ids: FROM TO');
      const from = versionArgument(positionals[0], 'FROM');
      const to = versionArgument(positionals[1], 'TO');
      return async (client, out) => {
        const { diff } = await client.api.gateway.diff({ from, to }, TIMEOUT);
        out(diff === '' ? `versions ${from} and ${to} are the same\n` : diff.endsWith('\n') ? diff : `${diff}\n`);
      };
    }
    case 'rollback': {
      exactly(positionals, 1, 'rollback', 'one version id');
      const id = versionArgument(positionals[0], 'the version to roll back to');
      return async (client, out) => {
        const applied = await client.api.gateway.rollback({ id }, APPLY_TIMEOUT);
        await reportApplied(client, out, json, applied, `rolled back to version ${id}: now version ${applied.version}`, { listSwitchedOff: true });
      };
    }
    case 'enable':
    case 'disable': {
      exactly(positionals, 1, verb, 'one router name');
      const name = gatewayName.safeParse(positionals[0]);
      if (!name.success) throw new UsageError(`ROUTER "${positionals[0]}" ${name.error.issues[0]?.message ?? 'is not a name'}`);
      const enabled = verb === 'enable';
      return async (client, out) => {
        const applied = await client.api.gateway.setRouterEnabled({ name: name.data, enabled }, APPLY_TIMEOUT);
        await reportApplied(client, out, json, applied, `router ${name.data} ${enabled ? 'switched on' : 'switched off: its requests go to the next matching router, or get 404'} (version ${applied.version})`);
      };
    }
    case 'drain':
    case 'undrain': {
      exactly(positionals, 2, verb, 'a service name and one of its instance URLs: SERVICE URL');
      const [service, url] = positionals as [string, string];
      const name = gatewayName.safeParse(service);
      if (!name.success) throw new UsageError(`SERVICE "${service}" ${name.error.issues[0]?.message ?? 'is not a name'}`);
      if (!instanceConfig.shape.url.safeParse(url).success) throw new UsageError(`URL must be the instance's URL as configured (http://host:port or tcp://host:port), not "${url}"`);
      const drain = verb === 'drain';
      return async (client, out) => {
        const applied = await client.api.gateway.drainInstance({ service, url, drain }, APPLY_TIMEOUT);
        await reportApplied(client, out, json, applied, `${url} of ${service} ${drain ? 'drained: no new requests, those in flight finish' : 'back in rotation'} (version ${applied.version})`);
      };
    }
    case 'keys':
      return planKeysCommand(sub, positionals, json);
    case undefined:
      throw new UsageError('gateway takes a command: routes, services, stats, apply, versions, diff, rollback, enable, disable, drain, undrain or keys');
    default:
      throw new UsageError(`unknown gateway command "${verb}"`);
  }
}

function planKeysCommand(sub: string | undefined, positionals: string[], json: boolean): Run {
  switch (sub) {
    case 'create': {
      exactly(positionals, 1, 'keys create', 'one name for the key');
      const name = positionals[0]!;
      if (name.length > 100 || name.trim() === '') throw new UsageError(`the key name must be 1 to 100 characters, not "${name}"`);
      return async (client, out) => {
        const created = await client.api.gateway.createApiKey({ name }, TIMEOUT);
        if (json) return out(`${JSON.stringify(created)}\n`);
        // The store keeps only a hash: this is the operator's one chance to copy the key.
        out(`created API key ${created.id} (${name})\n\n  ${created.key}\n\nCopy it now: it will not be shown again.\n`);
      };
    }
    case 'list':
      noArguments(positionals, 'keys list');
      return async (client, out) => {
        const keys = await client.api.gateway.listApiKeys({}, TIMEOUT);
        if (json) return out(`${JSON.stringify(keys, null, 2)}\n`);
        const rows = keys.map((key) => [key.id, key.name, `${key.prefix}...`, isoTime(key.createdAt), key.revokedAt === null ? 'active' : `revoked ${isoTime(key.revokedAt)}`]);
        out(`${table(['ID', 'NAME', 'PREFIX', 'CREATED', 'STATE'], rows)}\n${plural(keys.length, 'key')}\n`);
      };
    case 'revoke': {
      exactly(positionals, 1, 'keys revoke', 'one key id');
      const id = positionals[0]!;
      if (id.length > 100) throw new UsageError('the key id must be at most 100 characters');
      return async (client, out) => {
        await client.api.gateway.revokeApiKey({ id }, TIMEOUT);
        out(json ? '{"ok":true}\n' : `revoked API key ${id}\n`);
      };
    }
    default:
      throw new UsageError(`gateway keys takes create, list or revoke, not "${sub ?? ''}"`);
  }
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new NetopsError(ErrorCodes.notFound, `cannot read the gateway config ${file}: ${why}`);
  }
}

/**
 * The server checks the text against its own config file's name, but the
 * lines and columns are those of the operator's file, so that is the name to show.
 */
async function withLocalFileName(client: RpcClient<Contract>, error: unknown, file: string): Promise<unknown> {
  if (!isNetopsError(error, ErrorCodes.configInvalid)) return error;
  const { configFile } = await client.api.gateway.status({}, TIMEOUT).catch(() => ({ configFile: null }));
  const problems = renameFile(error.message, configFile, file)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  return new NetopsError(ErrorCodes.configInvalid, `${file} was not applied, the running config is unchanged:\n${problems}`);
}

function renameFile(text: string, serverFile: string | null, localFile: string): string {
  return serverFile ? text.split(`${serverFile}:`).join(`${localFile}:`) : text;
}

interface DisabledItem {
  kind: 'entryPoint' | 'router' | 'middleware' | 'service';
  name: string;
  errors: string[];
}

async function reportApplied(
  client: RpcClient<Contract>,
  out: Out,
  json: boolean,
  applied: { version: number; disabled: string[] },
  headline: string,
  /** After an apply or a rollback, which items the new config switches off (a router switch's headline says it already). */
  options: { localFile?: string; listSwitchedOff?: boolean } = {},
): Promise<void> {
  const { localFile, listSwitchedOff = false } = options;
  const status = await client.api.gateway.status({}, TIMEOUT);
  const named = (kind: DisabledItem['kind'], items: Array<{ name: string; status: string; errors: string[] }>) =>
    items
      .filter((item) => item.status === 'disabled')
      .map((item) => ({ kind, name: item.name, errors: localFile ? item.errors.map((e) => renameFile(e, status.configFile, localFile)) : item.errors }));
  const disabled: DisabledItem[] = [
    ...named('entryPoint', status.entryPoints),
    ...named('router', status.routers),
    ...named('middleware', status.middlewares),
    ...named('service', status.services),
  ];
  if (json) return out(`${JSON.stringify({ version: applied.version, disabled }, null, 2)}\n`);
  out(`${headline}\n`);
  // Switched off on purpose (enabled: false) is not a problem: one line names them, apart from those an error disabled.
  const off = disabled.filter((item) => item.errors.length === 0);
  const broken = disabled.filter((item) => item.errors.length > 0);
  if (listSwitchedOff && off.length > 0) out(`switched off: ${off.map((item) => `${kindLabel(item.kind)} ${item.name}`).join(', ')}\n`);
  if (broken.length === 0) return;
  out(`${plural(broken.length, 'item')} disabled by errors, the rest applied:\n`);
  for (const item of broken) out(`  ${kindLabel(item.kind)} ${item.name}:\n${item.errors.map((line) => `    ${line}\n`).join('')}`);
}

function kindLabel(kind: DisabledItem['kind']): string {
  return kind === 'entryPoint' ? 'entry point' : kind;
}

// ---- tables ------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function latency(ms: number | null): string {
  return ms === null ? '-' : ms >= 100 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`;
}

function trafficCells(traffic: TrafficFigures): string[] {
  return [rate(traffic.rps), percent(traffic.errorRate), latency(traffic.p50Ms), latency(traffic.p99Ms)];
}

const SWITCHED_OFF = 'switched off (enabled: false)';

/** Why an item is disabled: its first error and how many more there are, in one cell. */
function problemCell(item: { status: string; errors: string[] }): string {
  const errors = item.errors;
  if (errors.length === 0) return item.status === 'disabled' ? SWITCHED_OFF : '';
  return errors.length === 1 ? errors[0]! : `${errors[0]!} (+${errors.length - 1} more)`;
}

function matchSummary(config: RouterConfig): string {
  const match = config.match;
  const parts: string[] = [];
  if (match.hosts.length > 0) parts.push(`host ${match.hosts.join(',')}`);
  const path = match.path;
  if (path) parts.push('prefix' in path ? `prefix ${path.prefix}` : 'exact' in path ? `exact ${path.exact}` : `pattern ${path.pattern}`);
  if (match.methods.length > 0) parts.push(match.methods.join(','));
  const headers = Object.keys(match.headers).length;
  if (headers > 0) parts.push(plural(headers, 'header'));
  const query = Object.keys(match.query).length;
  if (query > 0) parts.push(`${query} query`);
  return parts.length === 0 ? 'any' : parts.join(' ');
}

function routerTarget(config: RouterConfig): string {
  if (config.redirect) return `redirect ${config.redirect.status} ${config.redirect.to}`;
  return config.service ?? '-';
}

export function formatRouters(routers: GatewayRouterStatus[]): string {
  const rows = routers.map((router) => {
    const config = router.config as RouterConfig | null;
    return [
      router.name,
      router.status,
      config ? (config.entryPoints.length === 0 ? 'all' : config.entryPoints.join(',')) : '-',
      config ? matchSummary(config) : '-',
      config && config.middlewares.length > 0 ? config.middlewares.join(',') : '-',
      config ? routerTarget(config) : '-',
      rate(router.traffic.rps),
      percent(router.traffic.errorRate),
      latency(router.traffic.p99Ms),
      problemCell(router),
    ];
  });
  return `${table(['NAME', 'STATUS', 'ENTRY POINTS', 'MATCH', 'MIDDLEWARES', 'SERVICE', 'RPS', 'ERRORS', 'P99', 'PROBLEM'], rows)}\n${plural(routers.length, 'router')}\n`;
}

function instanceHealth(instance: GatewayServiceStatus['instances'][number], slowStartMs: number, nowMs: number): string {
  const drained = !instance.drain ? '' : instance.traffic.inFlight > 0 ? `draining (${instance.traffic.inFlight} in flight), ` : 'drained, ';
  if (instance.ejectedUntil !== null) return `${drained}ejected until ${isoTime(instance.ejectedUntil)}`;
  if (!instance.healthy) return `${drained}${instance.lastHealthError ? `unhealthy: ${instance.lastHealthError}` : 'unhealthy'}`;
  const warming = instance.warmingUntil === null ? '' : `, slow start ${Math.floor(slowStartShare(instance.warmingUntil, slowStartMs, nowMs) * 100)}% of its weight until ${isoTime(instance.warmingUntil)}`;
  return `${drained}healthy${warming}`;
}

export function formatServices(services: GatewayServiceStatus[], nowMs = Date.now()): string {
  const blocks = services.map((service) => {
    const retries = retryBudgetLabel(service.retries);
    const head = `service ${service.name}  ${service.status}  balancer ${service.balancer}  rps ${rate(service.traffic.rps)}  errors ${percent(service.traffic.errorRate)}  p50 ${latency(service.traffic.p50Ms)}  p99 ${latency(service.traffic.p99Ms)}${retries ? `  ${retries}` : ''}`;
    const problems = (service.status === 'disabled' && service.errors.length === 0 ? [SWITCHED_OFF] : service.errors).map((error) => `  ${error}\n`).join('');
    const pools = poolsByInstance(service.pools);
    const rows = service.instances.map((instance) => {
      const pool = pools.get(instance.url);
      return [
        instance.url,
        String(instance.weight),
        ...trafficCells(instance.traffic),
        pool ? `${pool.open}/${pool.idle}/${pool.busy}/${pool.queued}` : '-',
        pool ? `${pool.created}/${pool.reused}` : '-',
        instanceHealth(instance, serviceSlowStartMs(service), nowMs),
      ];
    });
    const instances = rows.length === 0 ? '  no instances' : table(['INSTANCE', 'WEIGHT', 'RPS', 'ERRORS', 'P50', 'P99', 'OPEN/IDLE/BUSY/QUEUED', 'CREATED/REUSED', 'HEALTH'], rows).replace(/^/gm, '  ');
    return `${head}\n${problems}${instances}\n`;
  });
  return `${blocks.join('\n')}${blocks.length > 0 ? '\n' : ''}${plural(services.length, 'service')}\n`;
}

function entryPointState(entry: GatewayEntryPointStatus): string {
  return entry.status === 'disabled' ? 'disabled' : entry.state;
}

export function formatStats(status: GatewayStatus): string {
  const totals = status.totals;
  const head =
    `gateway config version ${status.version}, ${plural(status.workers, 'worker')}` +
    `${status.workersDraining === 0 ? '' : ` (and ${plural(status.workersDraining, 'worker')} draining after the count went down)`}\n` +
    `requests ${totals.requests}  rps ${rate(totals.rps)}  errors ${percent(totals.errorRate)}  p50 ${latency(totals.p50Ms)}  p99 ${latency(totals.p99Ms)}  in flight ${totals.inFlight}\n\n`;
  const rows = status.entryPoints.map((entry) => [
    entry.name,
    entry.protocol,
    entryPointState(entry),
    `${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port}`,
    String(entry.connections),
    String(entry.refused),
    entry.error ?? problemCell(entry),
  ]);
  return `${head}${table(['ENTRY POINT', 'PROTO', 'STATE', 'ADDRESS', 'CONNECTIONS', 'REFUSED', 'PROBLEM'], rows)}\n${plural(status.entryPoints.length, 'entry point')}\n`;
}

export function formatVersions(versions: ConfigVersion[], current: number): string {
  const rows = versions.map((version) => [
    `${version.id === current ? '*' : ' '}${version.id}`,
    isoTime(version.at),
    version.source,
    version.sha256.slice(0, 12),
    version.summary,
  ]);
  return `${table([' ID', 'AT', 'SOURCE', 'SHA256', 'SUMMARY'], rows)}\n${plural(versions.length, 'version')}, * is running\n`;
}
