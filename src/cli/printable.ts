/**
 * One formatter for what bpflab prints about its inputs: control characters (C0, DEL, C1) and
 * bidirectional-override characters escaped, so that a file name or message from a hostile input
 * cannot move the cursor, clear a line or draw a fake "passed" line; error lines capped in
 * length, keeping their start (the file and place) and their end.
 */

/** Longest error line printed; the middle of a longer one is cut. */
export const MAX_ERROR_LINE = 480;

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LINE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const n = c.codePointAt(0)!;
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  if (c === '\n') return '\\n';
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with every control character escaped except newlines and tabs (multi-line text output).
 * As `\uXXXX`, which is also a valid escape inside the JSON strings of --json output.
 */
export function printableText(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** `s` as one printable line: newlines, tabs and control characters escaped. */
export function printableLine(s: string): string {
  return s.replace(UNSAFE_IN_LINE, escape);
}

/** An error message as one printable line of at most `max` characters (the middle cut). */
export function errorLine(message: string, max = MAX_ERROR_LINE): string {
  // Cut before escaping so that a huge message costs no more than its kept parts.
  const trimmed = message.replace(/\s+$/, '');
  if (trimmed.length <= max) return printableLine(trimmed);
  const head = Math.floor(max * 0.75);
  const tail = max - head - 40;
  return `${printableLine(trimmed.slice(0, head))} ... (${trimmed.length - head - tail} characters cut) ... ${printableLine(trimmed.slice(trimmed.length - tail))}`;
}
