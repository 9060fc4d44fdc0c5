import type { RouterConfig } from '../../../../shared/contract/gateway-config.ts';

export interface RouteRedirect {
  status: 301 | 302 | 303 | 307 | 308;
  location: string;
}

/**
 * The answer of a redirect router: `to` with every "$path" replaced by the
 * request's path and query ("?" and the raw query, when there is one).
 * Undefined for a router that forwards to a service.
 */
export function routeRedirect(router: RouterConfig, path: string, query: string): RouteRedirect | undefined {
  const redirect = router.redirect;
  if (redirect === undefined) return undefined;
  const to = redirect.to;
  const location = to.indexOf('$path') === -1 ? to : to.replaceAll('$path', query === '' ? path : `${path}?${query}`);
  return { status: redirect.status, location };
}
