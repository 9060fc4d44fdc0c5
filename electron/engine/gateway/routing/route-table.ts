import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { RouterConfig } from '../../../../shared/contract/gateway-config.ts';
import type { HeaderList, RouteMatch } from '../types.ts';
import { addPathPrefix, hasDotSegment, normalizePrefix, parsePathPattern, pathSegments, type ParsedPattern, prefixSegments, stripPathPrefix } from './path-syntax.ts';
import { QueryScratch } from './query.ts';

/**
 * Which router takes a request, decided once per table so an operator can
 * predict it:
 *
 * 1. Higher `priority` wins; a router without one has priority 0, so a
 *    positive priority beats every unprioritized router and a negative one
 *    loses to all of them.
 * 2. Then the host: an exact host beats a wildcard, a longer wildcard
 *    (*.api.example.com) beats a shorter one (*.example.com), and both beat
 *    a router for any host.
 * 3. Then the path: exact beats pattern beats prefix beats no path. Among
 *    patterns, more literal segments win, then more segments, then one
 *    without "*"; among prefixes, more segments, then the longer text.
 * 4. Then the router with more conditions (methods counts one, each header
 *    and each query parameter one).
 * 5. Then the order in the file.
 *
 * A router with several hosts is ranked separately for each, so its exact
 * host ranks as exact and its wildcard as wildcard.
 */

const HOST_ANY = 0;
const HOST_WILDCARD = 1;
const HOST_EXACT = 2;

const PATH_NONE = 0;
const PATH_PREFIX = 1;
const PATH_PATTERN = 2;
const PATH_EXACT = 3;

const NO_RANK = 0x7fffffff;

/** One (router, host) pair, with everything the hot path reads in plain fields. */
interface RouteEntry {
  rank: number;
  readonly routerIndex: number;
  readonly name: string;
  readonly methods: readonly string[] | undefined;
  readonly headerNames: readonly string[];
  readonly headerValues: readonly string[];
  readonly queryNames: readonly string[];
  readonly queryValues: readonly string[];
  /** Parameter names by segment index, or undefined without parameters. */
  readonly params: ReadonlyArray<string | undefined> | undefined;
  /** Segment index where "*" captures the rest, or -1. */
  readonly wildcardAt: number;
  readonly stripPrefix: string | undefined;
  readonly addPrefix: string | undefined;
  // Sort keys, only read while compiling.
  readonly priority: number;
  readonly hostClass: number;
  /** The exact host, or the wildcard's suffix with its dot (".example.com"). */
  readonly hostKey: string;
  readonly pathKey1: number;
  readonly pathKey2: number;
  readonly pathKey3: number;
  readonly conditions: number;
  readonly pathKind: number;
  /** The exact path, normalized prefix or pattern. */
  readonly pathValue: string;
}

const EMPTY: RouteEntry[] = [];

/** A segment trie: `terminal` routers match a path that ends here, `below` ones any path at or under here. */
class PathNode {
  children: Map<string, PathNode> | undefined = undefined;
  param: PathNode | undefined = undefined;
  terminal: RouteEntry[] = EMPTY;
  below: RouteEntry[] = EMPTY;
  /** The best rank anywhere in this subtree, so a search skips subtrees that cannot win. */
  minRank = NO_RANK;

  child(segment: string): PathNode {
    if (this.children === undefined) this.children = new Map();
    let node = this.children.get(segment);
    if (node === undefined) {
      node = new PathNode();
      this.children.set(segment, node);
    }
    return node;
  }

  paramChild(): PathNode {
    if (this.param === undefined) this.param = new PathNode();
    return this.param;
  }

  /** Sorts the lists by rank and fills minRank bottom up. */
  seal(): number {
    let min = NO_RANK;
    if (this.terminal.length > 0) {
      this.terminal.sort(byRank);
      min = this.terminal[0]!.rank;
    }
    if (this.below.length > 0) {
      this.below.sort(byRank);
      min = Math.min(min, this.below[0]!.rank);
    }
    if (this.children !== undefined) for (const node of this.children.values()) min = Math.min(min, node.seal());
    if (this.param !== undefined) min = Math.min(min, this.param.seal());
    this.minRank = min;
    return min;
  }
}

function byRank(a: RouteEntry, b: RouteEntry): number {
  return a.rank - b.rank;
}

/**
 * The routers of one entry point, compiled. match() looks up the host (one
 * map read, plus one per label when wildcard hosts exist), walks each
 * candidate host's segment trie along the path, and checks methods, headers
 * and query only for routers that would beat the best so far. It keeps its
 * scratch state on the instance: one table serves one thread, synchronously.
 */
export class RouteTable {
  private readonly exactHosts = new Map<string, PathNode>();
  private readonly wildcardHosts = new Map<string, PathNode>();
  /** Which suffix lengths have a wildcard, so a lookup slices the host only where one could match. */
  private readonly wildcardLengths = new Uint8Array(256);
  private anyHost: PathNode | undefined = undefined;
  /** How many routers this entry point serves. */
  readonly size: number;

  private bestRank = NO_RANK;
  private bestEntry: RouteEntry | undefined = undefined;
  private method = '';
  private path = '';
  private headers: HeaderList | undefined = undefined;
  private readonly queryScratch = new QueryScratch();
  /** The upstream path of the last route() that found a router. */
  routedPath = '';

  constructor(routers: readonly RouterConfig[], entryPoint: string) {
    const entries: RouteEntry[] = [];
    let size = 0;
    for (let index = 0; index < routers.length; index++) {
      const router = routers[index]!;
      if (!router.enabled) continue;
      if (router.entryPoints.length > 0 && !router.entryPoints.includes(entryPoint)) continue;
      size++;
      const hosts = router.match.hosts;
      if (hosts.length === 0) entries.push(newEntry(router, index, HOST_ANY, ''));
      for (const host of hosts) {
        const lower = host.toLowerCase();
        entries.push(lower.startsWith('*.') ? newEntry(router, index, HOST_WILDCARD, lower.slice(1)) : newEntry(router, index, HOST_EXACT, lower));
      }
    }
    this.size = size;
    entries.sort(compareSpecificity);
    for (let rank = 0; rank < entries.length; rank++) {
      const entry = entries[rank]!;
      entry.rank = rank;
      this.insert(entry, this.rootFor(entry));
    }
    for (const root of this.exactHosts.values()) root.seal();
    for (const root of this.wildcardHosts.values()) root.seal();
    this.anyHost?.seal();
  }

  /**
   * The router for a request, or null. `host` is lower-case without the
   * port, `path` starts with "/" and has no query, `query` is the raw text
   * after "?" or "". A path with a dot segment matches nothing.
   */
  match(method: string, host: string, path: string, query: string, headers: HeaderList): RouteMatch | null {
    const entry = this.find(method, host, path, query, headers);
    if (entry === undefined) return null;
    return {
      routerIndex: entry.routerIndex,
      routerName: entry.name,
      params: entry.params === undefined && entry.wildcardAt < 0 ? undefined : captureParams(entry, path),
      upstreamPath: rewritePath(entry, path),
    };
  }

  /**
   * What match() answers, without a result object: the router's index, or
   * -1, with the path to send upstream left in `routedPath`. The proxy asks
   * this once a request, and a match object was 58 bytes of its garbage.
   */
  route(method: string, host: string, path: string, query: string, headers: HeaderList): number {
    const entry = this.find(method, host, path, query, headers);
    if (entry === undefined) return -1;
    this.routedPath = rewritePath(entry, path);
    return entry.routerIndex;
  }

  private find(method: string, host: string, path: string, query: string, headers: HeaderList): RouteEntry | undefined {
    if (hasDotSegment(path)) return undefined;
    this.bestRank = NO_RANK;
    this.bestEntry = undefined;
    this.method = method;
    this.path = path;
    this.headers = headers;
    this.queryScratch.reset(query);

    const exact = this.exactHosts.get(host);
    if (exact !== undefined) this.visit(exact, 1);
    if (this.wildcardHosts.size > 0) {
      // Envoy's rule: "*.example.com" is a suffix match needing at least one character before the dot.
      const lengths = this.wildcardLengths;
      for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
        if (host.length - dot > 255 || lengths[host.length - dot] === 0) continue;
        const root = this.wildcardHosts.get(host.slice(dot));
        if (root !== undefined && root.minRank < this.bestRank) this.visit(root, 1);
      }
    }
    if (this.anyHost !== undefined) this.visit(this.anyHost, 1);

    // visit() set it; TypeScript still sees the undefined assigned above.
    const entry = this.bestEntry as RouteEntry | undefined;
    this.headers = undefined;
    this.queryScratch.reset('');
    return entry;
  }

  /** Depth-first along the path; `start` is where the current segment begins, past the end once the path is used up. */
  private visit(node: PathNode, start: number): void {
    if (node.minRank >= this.bestRank) return;
    if (node.below.length > 0) this.scan(node.below);
    const path = this.path;
    if (start > path.length) {
      if (node.terminal.length > 0) this.scan(node.terminal);
      return;
    }
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (node.children !== undefined) {
      const child = node.children.get(path.slice(start, end));
      if (child !== undefined) this.visit(child, end + 1);
    }
    if (node.param !== undefined && end > start) this.visit(node.param, end + 1);
  }

  /** The list is in rank order: the first entry whose conditions hold is the best it has. */
  private scan(list: RouteEntry[]): void {
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (entry.rank >= this.bestRank) return;
      if (this.conditionsHold(entry)) {
        this.bestRank = entry.rank;
        this.bestEntry = entry;
        return;
      }
    }
  }

  private conditionsHold(entry: RouteEntry): boolean {
    const methods = entry.methods;
    if (methods !== undefined) {
      let found = false;
      for (let i = 0; i < methods.length; i++) {
        if (methods[i] === this.method) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    const names = entry.headerNames;
    if (names.length > 0) {
      const headers = this.headers!;
      for (let i = 0; i < names.length; i++) {
        const value = headers.get(names[i]!);
        if (value === undefined) return false;
        const wanted = entry.headerValues[i]!;
        if (wanted !== '*' && wanted !== value) return false;
      }
    }
    const queryNames = entry.queryNames;
    if (queryNames.length > 0) {
      const scratch = this.queryScratch;
      for (let i = 0; i < queryNames.length; i++) {
        const value = scratch.get(queryNames[i]!);
        if (value === undefined) return false;
        const wanted = entry.queryValues[i]!;
        if (wanted !== '*' && wanted !== value) return false;
      }
    }
    return true;
  }

  private rootFor(entry: RouteEntry): PathNode {
    if (entry.hostClass === HOST_ANY) return (this.anyHost ??= new PathNode());
    const map = entry.hostClass === HOST_EXACT ? this.exactHosts : this.wildcardHosts;
    const key = entry.hostKey;
    if (entry.hostClass === HOST_WILDCARD) this.wildcardLengths[key.length] = 1;
    let root = map.get(key);
    if (root === undefined) {
      root = new PathNode();
      map.set(key, root);
    }
    return root;
  }

  private insert(entry: RouteEntry, root: PathNode): void {
    let node = root;
    switch (entry.pathKind) {
      case PATH_NONE:
        node.below = append(node.below, entry);
        return;
      case PATH_PREFIX:
        for (const segment of prefixSegments(entry.pathValue)) node = node.child(segment);
        node.below = append(node.below, entry);
        return;
      case PATH_EXACT:
        for (const segment of pathSegments(entry.pathValue)) node = node.child(segment);
        node.terminal = append(node.terminal, entry);
        return;
      default: {
        const parsed = parsePathPattern(entry.pathValue) as ParsedPattern;
        for (const literal of parsed.literals) node = literal === undefined ? node.paramChild() : node.child(literal);
        if (parsed.wildcard) node.below = append(node.below, entry);
        else node.terminal = append(node.terminal, entry);
      }
    }
  }
}

/** Compiles the routers that serve one entry point; RouteMatch.routerIndex indexes `routers`. */
export function compileRouteTable(routers: readonly RouterConfig[], entryPoint: string): RouteTable {
  return new RouteTable(routers, entryPoint);
}

function append(list: RouteEntry[], entry: RouteEntry): RouteEntry[] {
  return list === EMPTY ? [entry] : (list.push(entry), list);
}

function newEntry(router: RouterConfig, routerIndex: number, hostClass: number, hostKey: string): RouteEntry {
  const match = router.match;
  const headerNames = Object.keys(match.headers);
  const queryNames = Object.keys(match.query);
  let pathKind = PATH_NONE;
  let pathValue = '';
  let pathKey1 = 0;
  let pathKey2 = 0;
  let pathKey3 = 0;
  let params: Array<string | undefined> | undefined;
  let wildcardAt = -1;
  const path = match.path;
  if (path !== undefined) {
    if ('exact' in path) {
      pathKind = PATH_EXACT;
      pathValue = path.exact;
    } else if ('prefix' in path) {
      pathKind = PATH_PREFIX;
      pathValue = normalizePrefix(path.prefix);
      pathKey1 = prefixSegments(pathValue).length;
      pathKey2 = pathValue.length;
    } else {
      pathKind = PATH_PATTERN;
      pathValue = path.pattern;
      const parsed = parsePathPattern(pathValue);
      if (typeof parsed === 'string') throw new NetopsError(ErrorCodes.configInvalid, `router "${router.name}": match.path.pattern: ${parsed}`);
      pathKey1 = parsed.literals.length - parsed.paramCount;
      pathKey2 = parsed.literals.length;
      pathKey3 = parsed.wildcard ? 0 : 1;
      if (parsed.paramCount > 0) params = [...parsed.params];
      if (parsed.wildcard) wildcardAt = parsed.literals.length;
    }
  }
  const rewrite = router.rewrite;
  return {
    rank: NO_RANK,
    routerIndex,
    name: router.name,
    methods: match.methods.length > 0 ? [...match.methods] : undefined,
    headerNames: headerNames.map((name) => name.toLowerCase()),
    headerValues: headerNames.map((name) => match.headers[name]!),
    queryNames,
    queryValues: queryNames.map((name) => match.query[name]!),
    params,
    wildcardAt,
    stripPrefix: rewrite?.stripPrefix === undefined ? undefined : normalizePrefix(rewrite.stripPrefix),
    addPrefix: rewrite?.addPrefix === undefined ? undefined : normalizePrefix(rewrite.addPrefix),
    priority: router.priority ?? 0,
    hostClass,
    hostKey,
    pathKey1,
    pathKey2,
    pathKey3,
    conditions: (match.methods.length > 0 ? 1 : 0) + headerNames.length + queryNames.length,
    pathKind,
    pathValue,
  };
}

/** Most specific first; see the rules at the top of this file. */
function compareSpecificity(a: RouteEntry, b: RouteEntry): number {
  return (
    b.priority - a.priority ||
    b.hostClass - a.hostClass ||
    b.hostKey.length - a.hostKey.length ||
    b.pathKind - a.pathKind ||
    b.pathKey1 - a.pathKey1 ||
    b.pathKey2 - a.pathKey2 ||
    b.pathKey3 - a.pathKey3 ||
    b.conditions - a.conditions ||
    a.routerIndex - b.routerIndex
  );
}

function captureParams(entry: RouteEntry, path: string): Record<string, string> {
  const params: Record<string, string> = {};
  const names = entry.params;
  const wildcardAt = entry.wildcardAt;
  const length = path.length;
  let start = 1;
  for (let segment = 0; start <= length; segment++) {
    if (segment === wildcardAt) {
      params['*'] = path.slice(start);
      return params;
    }
    let end = path.indexOf('/', start);
    if (end === -1) end = length;
    const name = names === undefined ? undefined : names[segment];
    if (name !== undefined) params[name] = path.slice(start, end);
    start = end + 1;
  }
  // "/files/*" matched "/files": the rest is empty.
  if (wildcardAt >= 0) params['*'] = '';
  return params;
}

function rewritePath(entry: RouteEntry, path: string): string {
  let result = path;
  if (entry.stripPrefix !== undefined) result = stripPathPrefix(result, entry.stripPrefix);
  if (entry.addPrefix !== undefined) result = addPathPrefix(result, entry.addPrefix);
  return result;
}
