import { describe, expect, it } from 'vitest';
import { moveSelection } from '../../../../renderer/pages/connections/selection.ts';

const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];

describe('moveSelection', () => {
  it('steps and clamps at the edges', () => {
    expect(moveSelection(rows, 'b', { by: 1 })).toBe('c');
    expect(moveSelection(rows, 'b', { by: -1 })).toBe('a');
    expect(moveSelection(rows, 'a', { by: -1 })).toBe('a');
    expect(moveSelection(rows, 'd', { by: 1 })).toBe('d');
    expect(moveSelection(rows, 'a', { by: 10 })).toBe('d');
  });

  it('jumps to the ends', () => {
    expect(moveSelection(rows, 'b', { to: 'first' })).toBe('a');
    expect(moveSelection(rows, null, { to: 'last' })).toBe('d');
  });

  it('starts from an edge when nothing (or a vanished row) is selected', () => {
    expect(moveSelection(rows, null, { by: 1 })).toBe('a');
    expect(moveSelection(rows, null, { by: -1 })).toBe('d');
    expect(moveSelection(rows, 'gone', { by: 1 })).toBe('a');
  });

  it('keeps the selection when there are no rows', () => {
    expect(moveSelection([], 'x', { by: 1 })).toBe('x');
    expect(moveSelection([], null, { to: 'first' })).toBeNull();
  });
});
