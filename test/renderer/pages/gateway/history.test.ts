import { describe, expect, it } from 'vitest';
import { classifyDiff, diffRange, diffStats, toggleVersionPick } from '../../../../renderer/pages/gateway/history.ts';

describe('the config history', () => {
  it('compares at most two versions, dropping the first ticked', () => {
    expect(toggleVersionPick([], 3)).toEqual([3]);
    expect(toggleVersionPick([3], 5)).toEqual([3, 5]);
    expect(toggleVersionPick([3, 5], 1)).toEqual([5, 1]);
    expect(toggleVersionPick([3, 5], 3)).toEqual([5]);
  });

  it('diffs older to newer whatever the order ticked', () => {
    expect(diffRange([7, 2])).toEqual({ from: 2, to: 7 });
    expect(diffRange([2])).toBeNull();
  });

  it('colours a unified diff by line', () => {
    const lines = classifyDiff('--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n routers:\n-  - name: a\n+  - name: b\n+  - name: c\n');
    expect(lines.map((line) => line.kind)).toEqual(['file', 'file', 'hunk', 'context', 'remove', 'add', 'add']);
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
    expect(classifyDiff('')).toEqual([{ kind: 'context', text: '' }]);
  });
});
