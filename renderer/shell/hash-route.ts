import { useSyncExternalStore } from 'react';

/**
 * Routing by location hash (`#/connections`), which works the same from
 * file:// in Electron and from http in the browser, and needs no server help.
 */
export function parseHashRoute(hash: string): string | null {
  const match = /^#\/([a-z][a-z0-9-]*)\/?$/.exec(hash.trim().toLowerCase());
  return match ? (match[1] ?? null) : null;
}

export function routeHref(id: string): string {
  return `#/${id}`;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function snapshot(): string {
  return window.location.hash;
}

export function useLocationHash(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function navigateTo(id: string): void {
  const href = routeHref(id);
  if (window.location.hash !== href) window.location.hash = href;
}
