/**
 * The search boxes' grammar (connections, gateway tables):
 * whitespace-separated terms that must all match; `field:value` matches one
 * column, a bare term any column, a leading `-` negates. Each table names its
 * own fields; matching is a case-insensitive substring test.
 */
export interface SearchQueryTerm<F extends string> {
  field: F | null;
  value: string;
  negate: boolean;
}

export function parseSearchQuery<F extends string>(text: string, fields: Readonly<Record<string, F>>): SearchQueryTerm<F>[] {
  const terms: SearchQueryTerm<F>[] = [];
  for (const raw of text.trim().toLowerCase().split(/\s+/)) {
    if (!raw) continue;
    const negate = raw.length > 1 && raw.startsWith('-');
    const body = negate ? raw.slice(1) : raw;
    const colon = body.indexOf(':');
    // Only known names make a field term, so `10.0.0.1:8080` stays free text.
    const field = colon > 0 && Object.hasOwn(fields, body.slice(0, colon)) ? fields[body.slice(0, colon)] : undefined;
    if (field) {
      const value = body.slice(colon + 1);
      // `service:` while still typing filters nothing rather than everything.
      if (value) terms.push({ field, value, negate });
    } else {
      terms.push({ field: null, value: body, negate });
    }
  }
  return terms;
}

/** Columns of one row, lowered; `all` joins them with newlines so a term never spans two. */
export type RowTexts<F extends string> = Record<F, string> & { all: string };

export function matchesSearchQuery<F extends string>(texts: RowTexts<F>, terms: readonly SearchQueryTerm<F>[]): boolean {
  for (const term of terms) {
    const haystack = term.field === null ? texts.all : texts[term.field];
    if (haystack.includes(term.value) === term.negate) return false;
  }
  return true;
}
