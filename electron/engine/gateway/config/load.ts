import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import {
  entryPointConfig,
  gatewayConfig,
  middlewareConfig,
  routerConfig,
  serviceConfig,
  type CheckedGatewayConfig,
  type EntryPointConfig,
  type ItemStatus,
  type MiddlewareConfig,
  type RouterConfig,
  type ServiceConfig,
} from '../../../../shared/contract/gateway-config.ts';
import { ConfigError, formatFieldPath, formatProblem, locate, parseYamlText, type ConfigProblem, type FieldPath } from '../../config/index.ts';
import { checkPathPattern } from '../routing/index.ts';
import { flattenIssues } from './yaml-location.ts';

export type GatewayItemKind = 'entryPoint' | 'router' | 'middleware' | 'service';

/** The list each kind lives in under `gateway:`. */
export const ITEM_LISTS = { entryPoint: 'entryPoints', router: 'routers', middleware: 'middlewares', service: 'services' } as const;

/** A problem with one item: that item is disabled, the rest of the config applies. */
export interface ConfigIssue extends ConfigProblem {
  kind: GatewayItemKind;
  /** The item's position in its list. */
  index: number;
  /** The item's name, or its list position ("routers[2]") when it has no usable name. */
  name: string;
}

export interface LoadedGatewayConfig {
  checked: CheckedGatewayConfig;
  /** Every item problem, in file order per kind; each also sits in its item's `errors`. */
  errors: ConfigIssue[];
}

/**
 * Reads the gateway's YAML file: a top-level `gateway:` map in the shape of
 * gatewayConfig. YAML errors and a broken outer shape throw ConfigError
 * (NETOPS_CONFIG_INVALID) with `file:line:col: field: message` lines. Each
 * entry point, router, middleware and service is then checked on its own,
 * and against the others (names, references, protocols): a broken item is
 * `disabled` with its errors and the rest stays `enabled`. Fields are named
 * from the file's root (`gateway.routers[2].match.path`).
 */
export function loadGatewayConfigText(text: string, fileName: string): LoadedGatewayConfig {
  const { doc, lineCounter, raw } = parseYamlText(text, fileName);
  const checker = new Checker(doc, lineCounter, fileName);
  return checker.check(raw);
}

interface Slot<T> {
  status: ItemStatus<T>;
  index: number;
  /** Where its problems are reported. */
  path: FieldPath;
}

class Checker {
  private readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly file: string,
  ) {}

  check(raw: unknown): LoadedGatewayConfig {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) this.fatal([], 'the file must be a map with a "gateway:" key');
    // The gateway section may share the file with the rest of the netops config, which its own loader checks.
    const root = raw as Record<string, unknown>;
    const outer = gatewayConfig.safeParse(root.gateway ?? {});
    if (!outer.success) {
      throw new ConfigError(flattenIssues(outer.error.issues, ['gateway']).map((issue) => this.problem(issue.path, issue.message)));
    }
    const shape = outer.data;

    const services = this.items('service', shape.services, serviceConfig);
    const entryPoints = this.items('entryPoint', shape.entryPoints, entryPointConfig);
    const middlewares = this.items('middleware', shape.middlewares, middlewareConfig);
    const routers = this.items('router', shape.routers, routerConfig);

    const serviceKinds = new Map<string, ServiceKind>();
    for (const slot of services) this.checkService(slot, serviceKinds);
    this.checkEntryPoints(entryPoints, services, serviceKinds);
    const routerEntryPoints = new Map(entryPoints.map((slot) => [slot.status.name, slot.status.config?.protocol ?? 'http']));
    for (const slot of routers) this.checkRouter(slot, routerEntryPoints, byName(services), byName(middlewares), serviceKinds);

    for (const slot of [...services, ...entryPoints, ...middlewares, ...routers]) {
      const status = slot.status as ItemStatus<{ enabled?: boolean }>;
      // An item the operator switched off is valid, and shown as disabled without errors.
      if (status.errors.length === 0 && status.config?.enabled === false) status.status = 'disabled';
    }

    return {
      checked: {
        workers: shape.workers,
        cpuAffinity: shape.cpuAffinity ?? null,
        busyPollMicros: shape.busyPollMicros,
        entryPoints: entryPoints.map((slot) => slot.status),
        routers: routers.map((slot) => slot.status),
        middlewares: middlewares.map((slot) => slot.status),
        services: services.map((slot) => slot.status),
        accessLog: shape.accessLog,
      },
      errors: this.issues,
    };
  }

  private items<T>(kind: GatewayItemKind, raws: unknown[], schema: z.ZodType<T>): Array<Slot<T>> {
    const list = ITEM_LISTS[kind];
    const slots: Array<Slot<T>> = [];
    const firstByName = new Map<string, number>();
    raws.forEach((raw, index) => {
      const path = ['gateway', list, index];
      const rawName = (raw as { name?: unknown } | null)?.name;
      const name = typeof rawName === 'string' && rawName !== '' ? rawName : `${list}[${index}]`;
      const slot: Slot<T> = { status: { name, status: 'enabled', errors: [], config: null }, index, path };
      slots.push(slot);
      const parsed = schema.safeParse(raw);
      if (parsed.success) slot.status.config = parsed.data;
      else for (const issue of flattenIssues(parsed.error.issues, path)) this.fail(kind, slot, issue.path, issue.message);
      if (typeof rawName !== 'string') return;
      const first = firstByName.get(rawName);
      if (first === undefined) firstByName.set(rawName, index);
      else this.fail(kind, slot, [...path, 'name'], `duplicate name "${rawName}": ${list}[${first}] has it`);
    });
    return slots;
  }

  private checkService(slot: Slot<ServiceConfig>, kinds: Map<string, ServiceKind>): void {
    const config = slot.status.config;
    if (!config) return;
    let http = false;
    let tcp = false;
    for (const instance of config.instances) {
      if (instance.url.startsWith('tcp:')) tcp = true;
      else http = true;
    }
    if (http && tcp) this.fail('service', slot, [...slot.path, 'instances'], 'instances mix http:// and tcp:// urls; a service is one or the other');
    else if (slot.status.errors.length === 0) kinds.set(config.name, tcp ? 'tcp' : http ? 'http' : 'empty');
  }

  private checkEntryPoints(slots: Array<Slot<EntryPointConfig>>, services: Array<Slot<ServiceConfig>>, kinds: Map<string, ServiceKind>): void {
    const serviceSlots = byName(services);
    const bound = new Map<string, string>();
    for (const slot of slots) {
      const config = slot.status.config;
      if (!config) continue;
      if (config.port !== 0) {
        const address = `${config.host}:${config.port}`;
        const owner = bound.get(address);
        if (owner !== undefined) this.fail('entryPoint', slot, [...slot.path, 'port'], `${address} is already the address of entry point "${owner}"`);
        else bound.set(address, config.name);
      }
      if (config.protocol !== 'tcp' || config.service === undefined) continue;
      const where = [...slot.path, 'service'];
      const service = serviceSlots.get(config.service);
      const kind = kinds.get(config.service);
      if (!service) this.fail('entryPoint', slot, where, `service "${config.service}" is not defined`);
      else if (kind === undefined) this.fail('entryPoint', slot, where, `service "${config.service}" is disabled by its own errors`);
      else if (kind === 'http') this.fail('entryPoint', slot, where, `service "${config.service}" has http:// instances; a tcp entry point needs tcp:// ones`);
    }
  }

  private checkRouter(
    slot: Slot<RouterConfig>,
    entryPoints: Map<string, 'http' | 'tcp'>,
    services: Map<string, Slot<ServiceConfig>>,
    middlewares: Map<string, Slot<MiddlewareConfig>>,
    kinds: Map<string, ServiceKind>,
  ): void {
    const config = slot.status.config;
    if (!config) return;
    const path = slot.path;
    const pathMatch = config.match.path;
    if (pathMatch && 'pattern' in pathMatch) {
      const problem = checkPathPattern(pathMatch.pattern);
      if (problem) this.fail('router', slot, [...path, 'match', 'path', 'pattern'], problem);
    }
    if (config.redirect && hasControlCharacter(config.redirect.to)) {
      this.fail('router', slot, [...path, 'redirect', 'to'], 'must not contain control characters');
    }
    config.entryPoints.forEach((name, i) => {
      const protocol = entryPoints.get(name);
      if (protocol === undefined) this.fail('router', slot, [...path, 'entryPoints', i], `entry point "${name}" is not defined`);
      else if (protocol === 'tcp') this.fail('router', slot, [...path, 'entryPoints', i], `entry point "${name}" is a tcp entry point; routers serve http ones`);
    });
    config.middlewares.forEach((name, i) => {
      const middleware = middlewares.get(name);
      if (!middleware) this.fail('router', slot, [...path, 'middlewares', i], `middleware "${name}" is not defined`);
      // Running the route without, say, its apiKey middleware would open it: the router goes down with it.
      else if (middleware.status.errors.length > 0) this.fail('router', slot, [...path, 'middlewares', i], `middleware "${name}" is disabled by its own errors`);
    });
    if (config.service !== undefined) {
      const where = [...path, 'service'];
      const kind = kinds.get(config.service);
      if (!services.has(config.service)) this.fail('router', slot, where, `service "${config.service}" is not defined`);
      else if (kind === undefined) this.fail('router', slot, where, `service "${config.service}" is disabled by its own errors`);
      else if (kind === 'tcp') this.fail('router', slot, where, `service "${config.service}" has tcp:// instances; routers need http:// ones`);
    }
  }

  private fail<T>(kind: GatewayItemKind, slot: Slot<T>, path: FieldPath, message: string): void {
    const problem = this.problem(path, message);
    slot.status.status = 'disabled';
    slot.status.errors.push(formatProblem(problem));
    this.issues.push({ ...problem, kind, index: slot.index, name: slot.status.name });
  }

  private problem(path: FieldPath, message: string): ConfigProblem {
    const { line, column } = locate(this.doc, this.lineCounter, path);
    return { file: this.file, line, column, field: formatFieldPath(path), message };
  }

  private fatal(path: FieldPath, message: string, moreKeys: string[] = []): never {
    throw new ConfigError([path, ...moreKeys.map((key) => [key])].map((where) => this.problem(where, message)));
  }
}

type ServiceKind = 'http' | 'tcp' | 'empty';

/** The first item of each name: later duplicates are disabled and never referenced. */
function byName<T>(slots: Array<Slot<T>>): Map<string, Slot<T>> {
  const map = new Map<string, Slot<T>>();
  for (const slot of slots) if (!map.has(slot.status.name)) map.set(slot.status.name, slot);
  return map;
}

/** A Location header must not be able to carry CR or LF, or anything else below space. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
