/**
 * Keyboard shortcuts as key sequences (`g o`), matched without the DOM so
 * the logic is testable. The shell feeds it `KeyboardEvent.key` values.
 */
export interface KeyBinding {
  /** The keys pressed one after another, e.g. ['g', 'o'] or ['?']. */
  keys: readonly string[];
  description: string;
}

export const SEQUENCE_TIMEOUT_MS = 1500;

export type KeyPressResult<B> = { kind: 'match'; binding: B } | { kind: 'pending' } | { kind: 'none' };

export class KeySequenceMatcher<B extends KeyBinding> {
  private pending: string[] = [];
  private pendingSinceMs = 0;

  constructor(
    private readonly bindings: readonly B[],
    private readonly timeoutMs = SEQUENCE_TIMEOUT_MS,
  ) {}

  press(key: string, nowMs: number): KeyPressResult<B> {
    if (this.pending.length > 0 && nowMs - this.pendingSinceMs > this.timeoutMs) this.pending = [];
    const hadPrefix = this.pending.length > 0;
    const result = this.evaluate([...this.pending, key], nowMs);
    // `g x` that matches nothing may still be a shortcut on its own: try `x` alone.
    return result.kind === 'none' && hadPrefix ? this.evaluate([key], nowMs) : result;
  }

  reset(): void {
    this.pending = [];
  }

  private evaluate(sequence: string[], nowMs: number): KeyPressResult<B> {
    const exact = this.bindings.find((b) => sameKeys(b.keys, sequence));
    if (exact) {
      this.pending = [];
      return { kind: 'match', binding: exact };
    }
    if (this.bindings.some((b) => b.keys.length > sequence.length && sequence.every((key, i) => b.keys[i] === key))) {
      this.pending = sequence;
      this.pendingSinceMs = nowMs;
      return { kind: 'pending' };
    }
    this.pending = [];
    return { kind: 'none' };
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'number', 'password', 'tel', 'url', 'date', 'time', 'datetime-local']);

/** Typing in a field must never trigger a shortcut. */
export function isEditableTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as { tagName?: unknown }).tagName !== 'string') return false;
  const element = target as HTMLElement;
  const tag = element.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return TEXT_INPUT_TYPES.has(((element as HTMLInputElement).type || 'text').toLowerCase());
  return element.isContentEditable === true;
}

/** Elements marked with this attribute are what `/` focuses; each table page marks its own search box. */
export const SEARCH_BOX_ATTRIBUTE = 'data-search-box';
