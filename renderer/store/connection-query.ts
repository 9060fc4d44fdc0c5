import type { ConnectionRow } from '../../shared/contract/index.ts';
import { formatEndpoint } from '../components/index.ts';
import { parseSearchQuery } from './search-query.ts';

/**
 * The connections search box: whitespace-separated terms, all of which must
 * match. A bare term matches any text column; `field:value` matches one
 * column (`kind:tcp`, `state:open`, `owner:echo`, `remote:127.0.0.1`);
 * `port:7007` matches either port exactly; a leading `-` negates a term.
 * Matching is a case-insensitive substring test.
 */
export type QueryField = 'id' | 'kind' | 'direction' | 'state' | 'local' | 'remote' | 'owner' | 'port';

export interface QueryTerm {
  field: QueryField | null;
  value: string;
  negate: boolean;
}

const FIELD_ALIASES: Record<string, QueryField> = {
  id: 'id',
  kind: 'kind',
  direction: 'direction',
  dir: 'direction',
  state: 'state',
  local: 'local',
  remote: 'remote',
  owner: 'owner',
  port: 'port',
};

export const QUERY_FIELDS = Object.keys(FIELD_ALIASES);

export function parseConnectionQuery(text: string): QueryTerm[] {
  return parseSearchQuery(text, FIELD_ALIASES);
}

interface RowText {
  id: string;
  kind: string;
  direction: string;
  state: string;
  local: string;
  remote: string;
  owner: string;
  all: string;
}

// Rows keep their identity across deltas unless they changed, so their lowered text is computed once.
const rowTextCache = new WeakMap<ConnectionRow, RowText>();

function rowText(row: ConnectionRow): RowText {
  let text = rowTextCache.get(row);
  if (!text) {
    const id = row.id.toLowerCase();
    const local = formatEndpoint(row.localAddress, row.localPort).toLowerCase();
    const remote = formatEndpoint(row.remoteAddress, row.remotePort).toLowerCase();
    const owner = row.owner.toLowerCase();
    // Newline-separated, so a term never matches across two columns.
    const all = [id, row.kind, row.direction, row.state, local, remote, owner].join('\n');
    text = { id, kind: row.kind, direction: row.direction, state: row.state, local, remote, owner, all };
    rowTextCache.set(row, text);
  }
  return text;
}

function termMatches(row: ConnectionRow, term: QueryTerm): boolean {
  if (term.field === 'port') return String(row.localPort) === term.value || String(row.remotePort) === term.value;
  const text = rowText(row);
  return (term.field === null ? text.all : text[term.field]).includes(term.value);
}

export function matchesQuery(row: ConnectionRow, terms: readonly QueryTerm[]): boolean {
  for (const term of terms) {
    if (termMatches(row, term) === term.negate) return false;
  }
  return true;
}
