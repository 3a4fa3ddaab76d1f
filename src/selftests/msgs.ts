/**
 * `__msg` patterns and their check against a verifier log, as test_loader.c's compile_regex and
 * validate_msgs: verbatim text with `{{...}}` parts that are POSIX extended regexes (compiled
 * with REG_NEWLINE), matched in order, each after the end of the previous match.
 */

export interface MsgPattern {
  text: string;
  /** undefined for a plain substring. */
  regex?: RegExp;
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  xdigit: '0-9A-Fa-f', punct: '!-\\/:-@\\[-`{-~', blank: ' \\t', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f',
};

/**
 * One `{{...}}` part, POSIX ERE → JS: character classes such as `[[:digit:]]` spelled out, and
 * negated brackets kept off newlines (REG_NEWLINE).
 */
function posixToJs(re: string): string {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') { out += re.slice(i, i + 2); i++; continue; }
    if (c !== '[') { out += c; continue; }
    // A bracket expression: copy to its closing ']' (a ']' right after '[' or '[^' is literal).
    let j = i + 1;
    let body = '';
    const negated = re[j] === '^';
    if (negated) j++;
    if (re[j] === ']') { body += '\\]'; j++; }
    for (; j < re.length && re[j] !== ']'; j++) {
      const cls = /^\[:([a-z]+):\]/.exec(re.slice(j));
      if (cls && POSIX_CLASSES[cls[1]!] !== undefined) { body += POSIX_CLASSES[cls[1]!]; j += cls[0].length - 1; continue; }
      body += re[j] === '\\' ? '\\\\' : re[j] === '[' ? '\\[' : re[j];
    }
    out += `[${negated ? '^\\n' : ''}${body}]`;
    i = j;
  }
  return out;
}

/** compile_regex: a pattern with `{{...}}` parts becomes a regex; others stay substrings. */
export function compilePattern(text: string): MsgPattern {
  if (!text.includes('{{')) return { text };
  let src = '';
  let inRegex = false;
  for (let i = 0; i < text.length;) {
    if (!inRegex && text.startsWith('{{', i)) { inRegex = true; i += 2; continue; }
    if (inRegex && text.startsWith('}}', i)) { inRegex = false; i += 2; continue; }
    if (inRegex) {
      const end = text.indexOf('}}', i);
      const part = end < 0 ? text.slice(i) : text.slice(i, end);
      src += posixToJs(part);
      i += part.length;
      continue;
    }
    const c = text[i]!;
    src += '.[]\\()*+?{}|^$/'.includes(c) ? '\\' + c : c;
    i++;
  }
  if (inRegex) throw new Error(`Regexp has open '{{' but no closing '}}': '${text}'`);
  return { text, regex: new RegExp(src, 'm') };
}

/** One pattern's match in the log: [start, end) offsets. */
function matchAt(log: string, from: number, p: MsgPattern): [number, number] | undefined {
  if (!p.regex) {
    const k = log.indexOf(p.text, from);
    return k < 0 ? undefined : [k, k + p.text.length];
  }
  const m = p.regex.exec(log.slice(from));
  return m ? [from + m.index, from + m.index + m[0].length] : undefined;
}

/**
 * validate_msgs: the index of the first pattern that fails, or -1 when none does. Positive
 * patterns (__msg) are found in order, each after the end of the previous match; a run of
 * negative ones (__not_msg, `negative[i]`) between two positives must not occur in the span from
 * the end of the positive before it to the start of the positive after it (the log's end when
 * there is none).
 */
export function firstUnmatched(log: string, patterns: readonly MsgPattern[], negative?: readonly boolean[]): number {
  const neg = (i: number): boolean => negative?.[i] === true;
  const found: ([number, number] | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < patterns.length; i++) {
    if (neg(i)) continue;
    const m = matchAt(log, at, patterns[i]!);
    found[i] = m;
    if (m) at = m[1];
  }
  let spanStart = 0;
  for (let i = 0; i < patterns.length; i++) {
    if (!neg(i)) {
      const m = found[i];
      if (!m) return i;
      spanStart = m[1];
      continue;
    }
    let j = i + 1;
    while (j < patterns.length && neg(j)) j++;
    // (a positive after the run that is missing fails first, at its own index, below)
    const spanEnd = j < patterns.length ? found[j]?.[0] ?? -1 : log.length;
    // match_negative_msgs looks for the run's first pattern only (its inner loop reuses `msg`):
    // the later ones of a run are never checked, and neither are they here.
    const m = matchAt(log, spanStart, patterns[i]!);
    if (m && m[1] <= spanEnd) return i;
    i = j - 1;
  }
  return -1;
}
