/**
 * Path rules shared by the route table and the config checks: how prefixes
 * and patterns are read, how rewrites apply, and which request paths are
 * refused before matching.
 *
 * Matching works on the path as sent: nothing is percent-decoded and no
 * slashes are collapsed, so what a router matched is exactly what the
 * upstream receives. The one exception is safety: a path with a dot segment
 * ("." or "..", also percent-encoded as %2e) matches no router, because an
 * upstream that resolves it would serve a different route than the one whose
 * middlewares (API key, firewall) ran.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const COLON = 0x3a;

/** A prefix as matched: trailing slashes removed, so "/api/" and "/api" are one segment prefix; "/" stays "/". */
export function normalizePrefix(prefix: string): string {
  let end = prefix.length;
  while (end > 1 && prefix.charCodeAt(end - 1) === SLASH) end--;
  return end === prefix.length ? prefix : prefix.slice(0, end);
}

/** The segments after the leading slash: "/" is [""], "/a/b/" is ["a", "b", ""]. */
export function pathSegments(path: string): string[] {
  return path.slice(1).split('/');
}

/** The segments a prefix covers: "/" covers none, "/api/v1" covers ["api", "v1"]. */
export function prefixSegments(prefix: string): string[] {
  const normalized = normalizePrefix(prefix);
  return normalized === '/' ? [] : pathSegments(normalized);
}

export interface ParsedPattern {
  /** One per segment before a trailing "*": the literal text, or undefined for a parameter. */
  readonly literals: ReadonlyArray<string | undefined>;
  /** Parameter names by segment index; undefined for literal segments. */
  readonly params: ReadonlyArray<string | undefined>;
  readonly paramCount: number;
  /** The pattern ends in "/*": the rest of the path, possibly empty, is captured as "*". */
  readonly wildcard: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads "/users/:id/orders/:order" or "/files/*". A segment that is exactly
 * ":name" is a parameter matching one non-empty segment; a last segment that
 * is exactly "*" captures the rest. Anything else is literal.
 */
export function parsePathPattern(pattern: string): ParsedPattern | string {
  const segments = pathSegments(pattern);
  const literals: Array<string | undefined> = [];
  const params: Array<string | undefined> = [];
  const seen = new Set<string>();
  let wildcard = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '*') {
      if (i !== segments.length - 1) return '"*" may only be the last segment';
      wildcard = true;
      break;
    }
    if (segment.charCodeAt(0) === COLON) {
      const name = segment.slice(1);
      if (!PARAM_NAME.test(name)) return `parameter "${segment}" must be ":" and a name of letters, digits or "_"`;
      // Parameters land in a plain object, where this name would set the prototype instead.
      if (name === '__proto__') return 'parameter ":__proto__" is not allowed';
      if (seen.has(name)) return `parameter ":${name}" appears twice`;
      seen.add(name);
      literals.push(undefined);
      params.push(name);
    } else {
      literals.push(segment);
      params.push(undefined);
    }
  }
  return { literals, params, paramCount: seen.size, wildcard };
}

/** The problem with a pattern, or undefined: for config checks, which disable the router. */
export function checkPathPattern(pattern: string): string | undefined {
  const parsed = parsePathPattern(pattern);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** True when a segment is "." or "..", also as %2e; a char loop because most paths have neither "." nor "%". */
export function hasDotSegment(path: string): boolean {
  if (path.indexOf('.') === -1 && path.indexOf('%') === -1) return false;
  const length = path.length;
  let start = 1;
  while (start <= length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = length;
    if (end > start && end - start <= 6 && isDots(path, start, end)) return true;
    start = end + 1;
  }
  return false;
}

function isDots(path: string, start: number, end: number): boolean {
  let dots = 0;
  let i = start;
  while (i < end) {
    const code = path.charCodeAt(i);
    if (code === DOT) {
      i++;
    } else if (code === PERCENT && i + 2 < end && path.charCodeAt(i + 1) === 0x32 && (path.charCodeAt(i + 2) | 0x20) === 0x65) {
      i += 3;
    } else {
      return false;
    }
    dots++;
  }
  return dots <= 2;
}

/**
 * Removes a prefix on a segment boundary: "/api/users" without "/api" is
 * "/users", "/api" is "/", and "/apix" is left alone. `prefix` is normalized.
 */
export function stripPathPrefix(path: string, prefix: string): string {
  if (prefix === '/') return path;
  const length = prefix.length;
  if (!path.startsWith(prefix)) return path;
  if (path.length === length) return '/';
  return path.charCodeAt(length) === SLASH ? path.slice(length) : path;
}

/** Prepends a normalized prefix: "/v1" and "/users" give "/v1/users"; "/" adds nothing. */
export function addPathPrefix(path: string, prefix: string): string {
  return prefix === '/' ? path : prefix + path;
}
