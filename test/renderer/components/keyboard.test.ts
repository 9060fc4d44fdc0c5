import { describe, expect, it } from 'vitest';
import { isEditableTarget, KeySequenceMatcher, SEQUENCE_TIMEOUT_MS } from '../../../renderer/components/keyboard.ts';

const bindings = [
  { keys: ['g', 'o'], description: 'overview' },
  { keys: ['g', 'c'], description: 'connections' },
  { keys: ['/'], description: 'search' },
  { keys: ['?'], description: 'help' },
  { keys: ['c'], description: 'single c' },
];

describe('KeySequenceMatcher', () => {
  it('matches single keys at once', () => {
    const matcher = new KeySequenceMatcher(bindings);
    expect(matcher.press('/', 0)).toEqual({ kind: 'match', binding: bindings[2] });
    expect(matcher.press('?', 10)).toEqual({ kind: 'match', binding: bindings[3] });
  });

  it('waits for the second key of a sequence', () => {
    const matcher = new KeySequenceMatcher(bindings);
    expect(matcher.press('g', 0)).toEqual({ kind: 'pending' });
    expect(matcher.press('o', 200)).toEqual({ kind: 'match', binding: bindings[0] });
    expect(matcher.press('g', 300)).toEqual({ kind: 'pending' });
    expect(matcher.press('c', 400)).toEqual({ kind: 'match', binding: bindings[1] });
  });

  it('forgets a prefix after the timeout', () => {
    const matcher = new KeySequenceMatcher(bindings);
    matcher.press('g', 0);
    expect(matcher.press('c', SEQUENCE_TIMEOUT_MS + 1)).toEqual({ kind: 'match', binding: bindings[4] });
  });

  it('retries a key that breaks a sequence on its own', () => {
    const matcher = new KeySequenceMatcher(bindings);
    matcher.press('g', 0);
    expect(matcher.press('/', 10)).toEqual({ kind: 'match', binding: bindings[2] });
  });

  it('reports keys it does not know', () => {
    const matcher = new KeySequenceMatcher(bindings);
    expect(matcher.press('x', 0)).toEqual({ kind: 'none' });
    matcher.press('g', 0);
    expect(matcher.press('x', 10)).toEqual({ kind: 'none' });
    expect(matcher.press('o', 20)).toEqual({ kind: 'none' });
  });

  it('can be reset', () => {
    const matcher = new KeySequenceMatcher(bindings);
    matcher.press('g', 0);
    matcher.reset();
    expect(matcher.press('o', 1)).toEqual({ kind: 'none' });
  });
});

describe('isEditableTarget', () => {
  const element = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, ...extra }) as unknown as EventTarget;

  it('treats text fields, text areas, selects and contenteditable as editable', () => {
    expect(isEditableTarget(element('INPUT', { type: 'search' }))).toBe(true);
    expect(isEditableTarget(element('INPUT', { type: '' }))).toBe(true);
    expect(isEditableTarget(element('TEXTAREA'))).toBe(true);
    expect(isEditableTarget(element('SELECT'))).toBe(true);
    expect(isEditableTarget(element('DIV', { isContentEditable: true }))).toBe(true);
  });

  it('lets shortcuts through elsewhere', () => {
    expect(isEditableTarget(element('INPUT', { type: 'checkbox' }))).toBe(false);
    expect(isEditableTarget(element('BUTTON'))).toBe(false);
    expect(isEditableTarget(element('DIV', { isContentEditable: false }))).toBe(false);
    expect(isEditableTarget(null)).toBe(false);
  });
});
