import { describe, expect, it } from 'vitest';
import { hiddenColumns, type VirtualColumn } from '../../../renderer/components/VirtualTable.tsx';

const column = (key: string, width: number, dropOrder?: number): VirtualColumn<unknown> => ({
  key,
  header: key,
  width,
  cell: () => null,
  ...(dropOrder === undefined ? {} : { dropOrder }),
});

const columns = [column('id', 100), column('local', 150, 1), column('remote', 150), column('dir', 50, 2), column('age', 60, 3)];

describe('hiddenColumns', () => {
  it('hides nothing when everything fits or before the first measurement', () => {
    expect(hiddenColumns(columns, 510)).toBe('');
    expect(hiddenColumns(columns, 0)).toBe('');
  });

  it('drops columns in their drop order until the rest fit', () => {
    expect(hiddenColumns(columns, 509).split('\n')).toEqual(['local']);
    expect(hiddenColumns(columns, 360).split('\n')).toEqual(['local']);
    expect(hiddenColumns(columns, 359).split('\n')).toEqual(['local', 'dir']);
    expect(hiddenColumns(columns, 310).split('\n')).toEqual(['local', 'dir']);
  });

  it('never drops a column without a drop order', () => {
    expect(hiddenColumns(columns, 10).split('\n')).toEqual(['local', 'dir', 'age']);
  });
});
