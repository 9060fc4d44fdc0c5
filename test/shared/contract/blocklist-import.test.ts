import { afterEach, describe, expect, it } from 'vitest';
import { importBlocklistInParts, MAX_TEXT_CHARS, splitBlocklistText } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { firewallFixture } from '../../engine/firewall/helpers.ts';

const fixture = firewallFixture();
afterEach(() => fixture.cleanup());

/** A drop list as published, `lines` long, with a bad line every 997th and a comment every 101st; line breaks as given. */
function dropList(lines: number, lineBreak: string): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    if (i % 997 === 0) out.push(`not-an-address-${i}`);
    else if (i % 101 === 0) out.push(`; comment ${i}`);
    else out.push(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32 ; SBL${i}`);
  }
  return out.join(lineBreak) + lineBreak;
}

describe('splitBlocklistText', () => {
  it('cuts at line breaks into parts that fit, numbering each part from its first line', () => {
    for (const lineBreak of ['\n', '\r\n', '\r']) {
      const text = dropList(40_000, lineBreak);
      const parts = splitBlocklistText(text, 64 * 1024);
      expect(parts.length, JSON.stringify(lineBreak)).toBeGreaterThan(10);
      expect(parts.map((p) => p.text).join('')).toBe(text);
      let line = 1;
      for (const part of parts) {
        expect(part.text.length).toBeLessThanOrEqual(64 * 1024);
        expect(part.text.endsWith(lineBreak)).toBe(true);
        expect(part.firstLine).toBe(line);
        line += part.text.split(lineBreak).length - 1;
      }
    }
  });

  it('sends a line longer than a part alone and cut short, and keeps the numbers of the lines after it', () => {
    const long = `# ${'x'.repeat(300_000)}`;
    const parts = splitBlocklistText(`10.0.0.1\n${long}\r\n10.0.0.2\nnope\n`, 100_000);
    expect(parts.map((p) => p.firstLine)).toEqual([1, 2, 3]);
    expect(parts[1]!.text).toBe(`${long.slice(0, 1000)}\n`);
    expect(parts[2]!.text).toBe('10.0.0.2\nnope\n');
  });

  it('refuses a part size the contract would not take', () => {
    expect(() => splitBlocklistText('x', MAX_TEXT_CHARS + 1)).toThrow(RangeError);
  });
});

describe('importBlocklistInParts', () => {
  it('says which part failed and how much was added before it, keeping the error code', async () => {
    const text = dropList(40_000, '\n');
    const fw = await fixture.open();
    let calls = 0;
    const failure = await importBlocklistInParts(text, async (part) => {
      if (++calls === 3) throw new NetopsError(ErrorCodes.disconnected, 'the connection is closed');
      return fw.importBlocklist(part, { reason: 'drop', addedBy: 'test' });
    }).then(
      () => undefined,
      (error: unknown) => error as NetopsError,
    );
    if (!failure) throw new Error('the import did not fail');
    const added = fw.state().blocklist.length;
    expect(added).toBeGreaterThan(0);
    expect(failure.code).toBe(ErrorCodes.disconnected);
    expect(failure.message).toMatch(new RegExp(`^part 3 of \\d+ \\(from line \\d+\\) failed, after ${added} entries were added: the connection is closed$`));
  });


  it('imports a list larger than one message as the whole list would be, with the skipped lines numbered as in the file', async () => {
    const text = dropList(120_000, '\r\n');
    expect(text.length).toBeGreaterThan(3 * MAX_TEXT_CHARS);
    const whole = await fixture.open();
    const inParts = await fixture.open();
    const options = { reason: 'drop', addedBy: 'test' };
    const expected = whole.importBlocklist(text, options);
    const progress: string[] = [];
    const result = await importBlocklistInParts(
      text,
      async (part) => {
        expect(part.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
        return inParts.importBlocklist(part, options);
      },
      (done, parts) => progress.push(`${done}/${parts}`),
    );
    expect(result.added).toBe(expected.added);
    expect(result.skipped).toEqual(expected.skipped);
    expect(result.skipped.slice(0, 2).map((s) => s.line)).toEqual([997, 1994]);
    expect(inParts.state().blocklist.map((b) => [b.address, b.reason])).toEqual(whole.state().blocklist.map((b) => [b.address, b.reason]));
    const parts = Number(progress.at(-1)!.split('/')[1]);
    expect(parts).toBeGreaterThan(3);
    expect(progress).toEqual(Array.from({ length: parts + 1 }, (_, done) => `${done}/${parts}`));
  });
});
