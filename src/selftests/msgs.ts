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

/**
 * validate_msgs: the index of the first pattern not found in `log` after the previous match,
 * or -1 when all match.
 */
export function firstUnmatched(log: string, patterns: readonly MsgPattern[]): number {
  let at = 0;
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i]!;
    const rest = log.slice(at);
    if (!p.regex) {
      const k = rest.indexOf(p.text);
      if (k < 0) return i;
      at += k + p.text.length;
    } else {
      const m = p.regex.exec(rest);
      if (!m) return i;
      at += m.index + m[0].length;
    }
  }
  return -1;
}
