/** The one formatter of user-facing text (src/cli/printable.ts). */
import { describe, expect, test } from 'vitest';
import { MAX_ERROR_LINE, errorLine, printableLine, printableText } from '../../src/cli/printable.js';

describe('printable output', () => {
  test('control characters are escaped; a fake "passed" line cannot be drawn', () => {
    expect(printableLine('x\x1b[2K\r10 passed\n')).toBe('x\\x1b[2K\\r10 passed\\n');
    expect(printableLine('a\u202eb\x85c\x7f')).toBe('a\\u202eb\\x85c\\x7f');
  });

  test('stdout text keeps lines and tabs, and stays valid JSON', () => {
    expect(printableText('a\tb\nc\x1bd\n')).toBe('a\tb\nc\\u001bd\n');
    const json = JSON.stringify({ file: 'a\u0085b\u007fc\u202ed' });
    expect(JSON.parse(printableText(json))).toEqual({ file: 'a\u0085b\u007fc\u202ed' });
  });

  test('long error lines keep their start (the place) and end, and are capped', () => {
    const msg = `big.s:1:6: immediate ${'9'.repeat(1_000_000)} does not fit`;
    const line = errorLine(msg);
    expect(line.length).toBeLessThanOrEqual(MAX_ERROR_LINE + 40);
    expect(line.startsWith('big.s:1:6: immediate 999')).toBe(true);
    expect(line.endsWith('does not fit')).toBe(true);
    expect(errorLine('short: fine  ')).toBe('short: fine');
  });
});
