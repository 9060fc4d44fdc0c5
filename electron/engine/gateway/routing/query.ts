/**
 * The query string, parsed only when a router with query conditions is
 * checked, and at most once per request. Names and values are decoded the
 * way browsers encode forms ("+" is a space, then percent-decoding); a
 * parameter without "=" is present with the value "". The first occurrence
 * of a name counts. The arrays are reused from request to request.
 */
export class QueryScratch {
  private raw = '';
  private parsed = false;
  private count = 0;
  private readonly names: string[] = [];
  private readonly values: string[] = [];

  reset(raw: string): void {
    this.raw = raw;
    this.parsed = false;
    this.count = 0;
  }

  get(name: string): string | undefined {
    if (!this.parsed) this.parse();
    const names = this.names;
    for (let i = 0; i < this.count; i++) if (names[i] === name) return this.values[i];
    return undefined;
  }

  private parse(): void {
    this.parsed = true;
    const raw = this.raw;
    const length = raw.length;
    let start = 0;
    while (start < length) {
      let end = raw.indexOf('&', start);
      if (end === -1) end = length;
      if (end > start) {
        const equals = raw.indexOf('=', start);
        const nameEnd = equals === -1 || equals > end ? end : equals;
        this.names[this.count] = decodeComponent(raw.slice(start, nameEnd));
        this.values[this.count] = nameEnd === end ? '' : decodeComponent(raw.slice(nameEnd + 1, end));
        this.count++;
      }
      start = end + 1;
    }
  }
}

function decodeComponent(text: string): string {
  const plus = text.indexOf('+') !== -1;
  if (!plus && text.indexOf('%') === -1) return text;
  const spaced = plus ? text.replaceAll('+', ' ') : text;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A malformed escape is compared as sent rather than refusing the request.
    return spaced;
  }
}
