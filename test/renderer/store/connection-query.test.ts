import { describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../../shared/contract/index.ts';
import { matchesQuery, parseConnectionQuery } from '../../../renderer/store/index.ts';

function row(patch: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id: 'c1',
    kind: 'tcp',
    direction: 'in',
    state: 'open',
    localAddress: '127.0.0.1',
    localPort: 7007,
    remoteAddress: '127.0.0.1',
    remotePort: 51234,
    bytesIn: 0,
    bytesOut: 0,
    createdAt: 0,
    lastActivityAt: 0,
    owner: 'echo',
    ...patch,
  };
}

const matches = (text: string, r: ConnectionRow = row()) => matchesQuery(r, parseConnectionQuery(text));

describe('parseConnectionQuery', () => {
  it('splits terms and lowers them', () => {
    expect(parseConnectionQuery('  Echo   kind:TCP ')).toEqual([
      { field: null, value: 'echo', negate: false },
      { field: 'kind', value: 'tcp', negate: false },
    ]);
  });

  it('knows field aliases and negation', () => {
    expect(parseConnectionQuery('dir:out -state:closed')).toEqual([
      { field: 'direction', value: 'out', negate: false },
      { field: 'state', value: 'closed', negate: true },
    ]);
  });

  it('keeps addresses with colons as free text', () => {
    expect(parseConnectionQuery('127.0.0.1:7007 ::1')).toEqual([
      { field: null, value: '127.0.0.1:7007', negate: false },
      { field: null, value: '::1', negate: false },
    ]);
  });

  it('takes the rest after the field name as the value', () => {
    expect(parseConnectionQuery('remote:127.0.0.1:51234')).toEqual([{ field: 'remote', value: '127.0.0.1:51234', negate: false }]);
  });

  it('ignores a field term without a value yet', () => {
    expect(parseConnectionQuery('kind:')).toEqual([]);
  });

  it('treats a lone dash as text', () => {
    expect(parseConnectionQuery('-')).toEqual([{ field: null, value: '-', negate: false }]);
  });
});

describe('matchesQuery', () => {
  it('matches everything with an empty query', () => {
    expect(matches('')).toBe(true);
  });

  it('matches free text against any text column, case-insensitively', () => {
    expect(matches('ECHO')).toBe(true);
    expect(matches('51234')).toBe(true);
    expect(matches('c1')).toBe(true);
    expect(matches('nothing-like-this')).toBe(false);
  });

  it('matches field terms against their column only', () => {
    expect(matches('kind:tcp')).toBe(true);
    expect(matches('kind:udp')).toBe(false);
    expect(matches('state:open')).toBe(true);
    expect(matches('owner:echo')).toBe(true);
    expect(matches('owner:7007')).toBe(false);
    expect(matches('remote:127.0.0.1')).toBe(true);
    expect(matches('local:7007')).toBe(true);
    expect(matches('remote:7007')).toBe(false);
  });

  it('matches ports exactly on either side', () => {
    expect(matches('port:7007')).toBe(true);
    expect(matches('port:51234')).toBe(true);
    expect(matches('port:700')).toBe(false);
  });

  it('requires every term', () => {
    expect(matches('kind:tcp owner:echo')).toBe(true);
    expect(matches('kind:tcp owner:proxy')).toBe(false);
  });

  it('negates terms', () => {
    expect(matches('-state:closed')).toBe(true);
    expect(matches('-owner:echo')).toBe(false);
  });

  it('does not match across column boundaries', () => {
    expect(matches('tcp in')).toBe(true);
    expect(matches('tcp\nin')).toBe(true);
    expect(matches('tcpin')).toBe(false);
  });

  it('matches bracketed IPv6 endpoints', () => {
    expect(matches('remote:[::1]:9', row({ remoteAddress: '::1', remotePort: 9 }))).toBe(true);
  });
});
