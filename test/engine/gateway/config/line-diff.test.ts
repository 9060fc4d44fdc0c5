import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from '../../../../electron/engine/gateway/config/index.ts';

/** Rebuilds `to` from `from` and the ops, and counts the changed lines. */
function apply(from: string[], to: string[]): { rebuilt: string[]; changes: number } {
  const { ops, fromLines, toLines } = diffLines(from, to);
  const rebuilt: string[] = [];
  let changes = 0;
  for (let i = 0; i < ops.length; i++) {
    if (ops[i] === 0) {
      expect(from[fromLines[i]!]).toBe(to[toLines[i]!]);
      rebuilt.push(from[fromLines[i]!]!);
    } else if (ops[i] === 2) {
      rebuilt.push(to[toLines[i]!]!);
      changes++;
    } else {
      changes++;
    }
  }
  return { rebuilt, changes };
}

describe('diffLines', () => {
  it('finds a shortest edit script', () => {
    const cases: Array<[string, string, number]> = [
      ['abcabba', 'cbabac', 5],
      ['', 'abc', 3],
      ['abc', '', 3],
      ['abc', 'abc', 0],
      ['abcdef', 'abXdef', 2],
      ['xaaa', 'aaay', 2],
    ];
    for (const [a, b, distance] of cases) {
      const { rebuilt, changes } = apply([...a], [...b]);
      expect(rebuilt.join(''), `${a} -> ${b}`).toBe(b);
      expect(changes, `${a} -> ${b}`).toBe(distance);
    }
  });

  it('rebuilds the target for random inputs', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 30) }, () => 'abc'[Math.floor(random() * 3)]!);
      const b = Array.from({ length: Math.floor(random() * 30) }, () => 'abc'[Math.floor(random() * 3)]!);
      expect(apply(a, b).rebuilt).toEqual(b);
    }
  });

  it('stays linear for large unrelated inputs', () => {
    const a = Array.from({ length: 50_000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 50_000 }, (_, i) => `b${i}`);
    expect(apply(a, b).rebuilt).toEqual(b);
  });
});

describe('unifiedDiff', () => {
  it('writes diff -u hunks with three lines of context', () => {
    const from = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n') + '\n';
    const to = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11', '12', '13'].join('\n') + '\n';
    expect(unifiedDiff(from, to, 'version 1', 'version 2')).toBe(
      ['--- version 1', '+++ version 2', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', '@@ -10,3 +10,4 @@', ' 10', ' 11', ' 12', '+13', ''].join('\n'),
    );
  });

  it('an insertion into an empty text starts at line 0 on the empty side', () => {
    expect(unifiedDiff('', 'a\n', 'x', 'y')).toBe('--- x\n+++ y\n@@ -0,0 +1,1 @@\n+a\n');
  });

  it('equal texts have no diff', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
  });
});
