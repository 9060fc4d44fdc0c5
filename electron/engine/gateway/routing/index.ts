/**
 * Routing: the routers of one entry point compiled into a RouteTable whose
 * match() picks the router for a request (see route-table.ts for the order),
 * with path parameters and the rewritten upstream path; routeRedirect()
 * answers for redirect routers. checkPathPattern() lets the config checks
 * disable a router whose pattern the table could not compile.
 */
export { compileRouteTable, RouteTable } from './route-table.ts';
export { routeRedirect, type RouteRedirect } from './redirect.ts';
export { checkPathPattern, hasDotSegment, normalizePrefix, stripPathPrefix, addPathPrefix } from './path-syntax.ts';
