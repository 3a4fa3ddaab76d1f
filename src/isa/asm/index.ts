/**
 * The assembler: the canonical syntax of SPEC section 3 (the verifier log's syntax, which
 * disasm.ts prints) and, line by line, the conformance suite's syntax. Also reads verifier log
 * lines directly: a leading `12: (bf) ` is skipped and `; R1_w=...` is a comment.
 *
 * Returns instruction slots (ld_imm64 = two slots, as the kernel counts pcs) plus what the
 * directives declared. Does not validate the program (jumps may leave it); loaders do that with
 * validateInsns and map pcs back to lines with `lines`. Registers r11..r15 are encodable and
 * assemble: the verifier refuses them where it reaches them, as the kernel does.
 */
import { type Insn, makeInsn } from '../insn.js';
import { isMapType, isProgType, makeMapSpec, type MapSpec, type ProgType } from '../program.js';
import * as op from '../opcodes.js';
import { AsmError } from './error.js';
import { stripComment, tokenize } from './lexer.js';
import { Cursor, type Emitted, type Fixup } from './cursor.js';
import { parseKernelStatement } from './kernel-syntax.js';
import { isConformanceMnemonic, parseConformanceLock, parseConformanceStatement } from './conformance-syntax.js';

export { AsmError } from './error.js';

export interface AsmOptions {
  /** Line number of the text's first line, for messages (default 1); e.g. where `-- asm` starts in a .data file. */
  firstLine?: number;
}

export interface AsmResult {
  insns: Insn[];
  maps: MapSpec[];
  /** From `.type`, when given. */
  type?: ProgType;
  /** From `.license`, when given. */
  license?: string;
  /** Label name -> pc. */
  labels: Map<string, number>;
  /** Source line of every slot (both slots of an ld_imm64 name the same line). */
  lines: number[];
}

// Verifier-log decoration: "12: " and "(bf) " before the instruction.
const LOG_PREFIX = /^(\s*\d+:\s*)?(\([0-9a-fA-F]{2}\)\s)?/;

/** Assembles `text`; throws AsmError (an InputError) naming line and column on bad input. */
export function assemble(text: string, opts: AsmOptions = {}): AsmResult {
  const first = opts.firstLine ?? 1;
  const insns: Insn[] = [];
  const lines: number[] = [];
  const maps: MapSpec[] = [];
  const labels = new Map<string, number>();
  const fixups: { pc: number; line: number; fixup: Fixup }[] = [];
  let type: ProgType | undefined;
  let license: string | undefined;
  let firstExit: number | undefined;

  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const line = first + i;
    let body = stripComment(rows[i]!.replace(/\r$/, ''));
    const pre = LOG_PREFIX.exec(body)![0];
    if (pre.length) body = ' '.repeat(pre.length) + body.slice(pre.length);
    const toks = tokenize(body, line);
    const c: Cursor = new Cursor(toks, line, body.trimEnd().length + 1);
    // Labels: `name:` (several may share a line, an instruction may follow).
    while (c.isId() && c.isOp(':', 1) && !c.atReg()) {
      const t = c.next('a label');
      c.next(':');
      if (labels.has(t.text)) c.fail(`duplicate label '${t.text}' (first defined at pc ${labels.get(t.text)})`, t.col);
      labels.set(t.text, insns.length);
    }
    if (c.atEnd()) continue;
    const head = c.peek()!;
    if (head.kind === 'id' && head.text.startsWith('.')) {
      switch (head.text) {
        case '.type': {
          c.next('');
          const t = c.ident('a program type');
          c.end();
          if (!isProgType(t.text)) c.fail(`unknown program type '${t.text}'`, t.col);
          if (type !== undefined) c.fail('.type given twice', head.col);
          type = t.text;
          break;
        }
        case '.map': maps.push(parseMapDirective(c, maps)); break;
        case '.license': {
          const rest = body.slice(head.col - 1 + head.text.length).trim().replace(/^"(.*)"$/, '$1');
          if (!rest) c.fail('.license needs a licence name');
          license = rest;
          break;
        }
        case '.insn': {
          // One raw slot, `.insn CODE DST SRC OFF IMM`: encodings no statement expresses (reserved fields set, unknown opcodes).
          c.next('');
          const field = (what: string, min: bigint, max: bigint): number => {
            const v = c.number(what);
            if (v.value < min || v.value > max) c.fail(`.insn ${what} must be ${min}..${max}`, v.col);
            return Number(v.value);
          };
          const code = field('code', 0n, 255n), dst = field('dst', 0n, 15n), src = field('src', 0n, 15n);
          const off = field('off', -32768n, 65535n), imm = c.imm32('imm');
          c.end();
          if (firstExit === undefined && code === (op.BPF_JMP | op.BPF_EXIT)) firstExit = insns.length;
          insns.push(makeInsn(code, dst, src, (off << 16) >> 16, imm));
          lines.push(line);
          break;
        }
        default: c.fail(`unknown directive '${head.text}' (expected .type, .map, .license or .insn)`, head.col);
      }
      continue;
    }
    const em: Emitted = head.kind === 'id' && head.text === 'lock' && c.peek(1)?.kind === 'id'
      ? parseConformanceLock(c)
      : head.kind === 'id' && isConformanceMnemonic(head.text) && !(c.peek(1)?.kind === 'op' && c.peek(1)!.text.endsWith('='))
        ? parseConformanceStatement(c)
        : parseKernelStatement(c);
    const pc = insns.length;
    if (em.fixup) fixups.push({ pc, line, fixup: em.fixup });
    if (firstExit === undefined && em.slots[0]!.code === (op.BPF_JMP | op.BPF_EXIT)) firstExit = pc;
    for (const s of em.slots) { insns.push(s); lines.push(line); }
  }

  for (const { pc, line, fixup } of fixups) {
    const slot = insns[pc]!;
    if (fixup.kind === 'map') {
      const idx = maps.findIndex((m) => m.name === fixup.name);
      if (idx < 0) throw new AsmError(line, fixup.col, `unknown map '${fixup.name}' (declare it with .map)`);
      slot.imm = idx;
      continue;
    }
    // bpf_conformance convention: `exit` names the first exit instruction unless defined as a label.
    const target = labels.get(fixup.name) ?? (fixup.name === 'exit' ? firstExit : undefined);
    if (target === undefined) throw new AsmError(line, fixup.col, `unknown label '${fixup.name}'`);
    const rel = target - (pc + 1);
    if (fixup.field === 'off') {
      if (rel < -32768 || rel > 32767) throw new AsmError(line, fixup.col, `label '${fixup.name}' is too far for a 16-bit jump (${rel}); use gotol`);
      slot.off = rel;
    } else slot.imm = rel;
  }
  const res: AsmResult = { insns, maps, labels, lines };
  if (type !== undefined) res.type = type;
  if (license !== undefined) res.license = license;
  return res;
}

/** `.map NAME TYPE key=N value=N entries=N [flags=N]`. */
function parseMapDirective(c: Cursor, maps: readonly MapSpec[]): MapSpec {
  c.next('.map');
  const name = c.ident('a map name');
  if (maps.some((m) => m.name === name.text)) c.fail(`map '${name.text}' declared twice`, name.col);
  const t = c.ident('a map type');
  if (!isMapType(t.text)) c.fail(`unknown map type '${t.text}'`, t.col);
  const kv = new Map<string, number>();
  while (!c.atEnd()) {
    const k = c.ident('key=, value=, entries= or flags=');
    if (!['key', 'value', 'entries', 'flags'].includes(k.text)) c.fail(`unknown map attribute '${k.text}' (expected key, value, entries, flags)`, k.col);
    if (kv.has(k.text)) c.fail(`map attribute '${k.text}' given twice`, k.col);
    c.expectOp('=');
    const v = c.number('a number');
    if (v.value < 0n || v.value > 0xffffffffn) c.fail(`${k.text} must be 0..4294967295`, v.col);
    kv.set(k.text, Number(v.value));
  }
  if (!kv.has('entries')) c.fail(`map '${name.text}' needs entries=N`);
  return makeMapSpec({ name: name.text, type: t.text, keySize: kv.get('key') ?? 0, valueSize: kv.get('value') ?? 0, maxEntries: kv.get('entries')!, flags: kv.get('flags') ?? 0 });
}
