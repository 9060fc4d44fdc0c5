import { describe, expect, it } from 'vitest';
import { parseHashRoute, routeHref } from '../../../renderer/shell/hash-route.ts';

describe('hash routes', () => {
  it('reads the screen id', () => {
    expect(parseHashRoute('#/overview')).toBe('overview');
    expect(parseHashRoute('#/connections/')).toBe('connections');
    expect(parseHashRoute('#/Connections')).toBe('connections');
  });

  it('rejects anything else', () => {
    expect(parseHashRoute('')).toBeNull();
    expect(parseHashRoute('#')).toBeNull();
    expect(parseHashRoute('#/')).toBeNull();
    expect(parseHashRoute('#overview')).toBeNull();
    expect(parseHashRoute('#/a/b')).toBeNull();
    expect(parseHashRoute('#/<script>')).toBeNull();
  });

  it('round-trips with routeHref', () => {
    expect(parseHashRoute(routeHref('connections'))).toBe('connections');
  });
});
