import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { HeaderList } from '../types.ts';
import { FIELD_CHAR, TOKEN_LOWER } from './chars.ts';

/**
 * Headers as two parallel arrays, in the order received, duplicates kept.
 * The parsers fill the arrays directly (already checked); set() and
 * append() check what middleware adds, because a CR or LF in a value
 * would split the head it is serialized into.
 */
export class HeaderListImpl implements HeaderList {
  readonly names: string[];
  readonly values: string[];
  /** Whether set() or append() changed the list since the parser made it: its fields then no longer match the bytes received. */
  modified = false;
  /**
   * After remove() on a list set() and append() have not touched: each
   * entry's field line in the head as received (0 for the first), so the
   * received bytes can still be forwarded with the removed lines left out.
   * Undefined while nothing was removed.
   */
  rawLines: number[] | undefined = undefined;
  /** How many fields the list had before the first remove(); set with rawLines. */
  rawCount = 0;

  constructor(names: string[] = [], values: string[] = []) {
    this.names = names;
    this.values = values;
  }

  /** From pairs in any case; checked like append(). */
  static from(pairs: ReadonlyArray<readonly [string, string]>): HeaderListImpl {
    const list = new HeaderListImpl();
    for (const [name, value] of pairs) list.append(name, value);
    return list;
  }

  get(name: string): string | undefined {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) return this.values[i];
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.names.indexOf(name) !== -1;
  }

  set(name: string, value: string): void {
    const lower = checkedName(name);
    checkValue(lower, value);
    const names = this.names;
    const first = names.indexOf(lower);
    this.modified = true;
    if (first === -1) {
      names.push(lower);
      this.values.push(value);
      return;
    }
    this.values[first] = value;
    this.removeFrom(lower, first + 1);
  }

  append(name: string, value: string): void {
    const lower = checkedName(name);
    checkValue(lower, value);
    this.modified = true;
    this.names.push(lower);
    this.values.push(value);
  }

  remove(name: string): void {
    const first = this.names.indexOf(name.toLowerCase());
    if (first === -1) return;
    if (this.rawLines === undefined) {
      const count = this.names.length;
      const lines: number[] = [];
      for (let line = 0; line < count; line++) lines.push(line);
      this.rawCount = count;
      this.rawLines = lines;
    }
    this.removeFrom(this.names[first]!, first);
  }

  /** Drops every `name` at or after `from`, compacting in place. */
  private removeFrom(name: string, from: number): void {
    const names = this.names;
    const values = this.values;
    const lines = this.rawLines;
    let kept = from;
    for (let i = from; i < names.length; i++) {
      if (names[i] === name) continue;
      names[kept] = names[i]!;
      values[kept] = values[i]!;
      if (lines !== undefined) lines[kept] = lines[i]!;
      kept++;
    }
    // pop() rather than setting length, which calls into the runtime: a removal is usually of one field.
    while (names.length > kept) {
      names.pop();
      values.pop();
      lines?.pop();
    }
  }
}

function checkedName(name: string): string {
  if (name.length === 0) throw new NetopsError(ErrorCodes.invalidArgument, 'a header name cannot be empty');
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code > 0xff || TOKEN_LOWER[code] === 0) throw new NetopsError(ErrorCodes.invalidArgument, `invalid character in header name ${JSON.stringify(name)}`);
  }
  return name.toLowerCase();
}

function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff || FIELD_CHAR[code] === 0) throw new NetopsError(ErrorCodes.invalidArgument, `invalid character in the value of header ${name}`);
  }
}
