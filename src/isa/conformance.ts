/**
 * The conformance test file format (bpf_conformance and uBPF `.data` files): `# comment` lines,
 * then sections opened by `-- NAME` (optionally `-- NAME @ FILE` to take the body from a file):
 *   -- asm                 program text (conformance or kernel syntax)
 *   -- raw                 the program as 64-bit words, one per line (0x...; low byte = opcode)
 *   -- mem                 input memory as hex bytes ("aa bb ..", or a hex dump "0x0000:  0026 622f")
 *   -- result              expected r0 (a 64-bit number)
 *   -- error               expected load/run error text;  -- error pattern   the same as a regex
 *   -- c, -- description   source and prose (kept as text)
 *   -- no jit, -- no register offset, -- reload, -- unload   runner hints (kept as text)
 */
import { assemble, AsmError } from './asm/index.js';
import { InputError } from './errors.js';
import type { Insn } from './insn.js';

export interface ConformanceSection {
  name: string;
  /** Body text (from the referenced file for `-- NAME @ FILE`). */
  text: string;
  /** Line of the `-- NAME` header in the .data file. */
  line: number;
  /** The FILE of `-- NAME @ FILE`. */
  file?: string;
}

export interface ConformanceTest {
  /** Every section in file order, including ones this parser does not interpret. */
  sections: ConformanceSection[];
  /** The program: assembled from `-- asm`, else decoded from `-- raw`. Not validated. */
  insns: Insn[];
  /** Source line (in the .data file, or in the `@` file) of every slot when from `-- asm`. */
  lines?: number[];
  /** Labels of `-- asm`. */
  labels?: Map<string, number>;
  /** The `-- raw` words as slots, when present. */
  raw?: Insn[];
  /** Input memory (empty when there is no `-- mem`). */
  mem: Uint8Array;
  /** Expected r0 as an unsigned 64-bit value. */
  result?: bigint;
  error?: string;
  errorPattern?: string;
}

export interface ConformanceParseOptions {
  /** Name for messages (the .data path). */
  file?: string;
  /** Reads a file named by `-- NAME @ FILE` (relative to the .data file). */
  readFile?: (name: string) => string;
}

const HEADER = /^--\s+(.+?)(?:\s+@\s+(\S+))?\s*$/;

/** Parses a .data file. Throws InputError naming the file and line on bad input. */
export function parseConformance(text: string, opts: ConformanceParseOptions = {}): ConformanceTest {
  const where = opts.file ?? '<conformance>';
  const fail = (line: number, msg: string): never => { throw new InputError('conformance_syntax', `${where}:${line}: ${msg}`); };
  const rows = text.split('\n').map((r) => r.replace(/\r$/, ''));
  // Each section with the line its body starts on (1 for a body read from an `@` file).
  const found: { sec: ConformanceSection; bodyLine: number; body: string[] }[] = [];
  rows.forEach((row, i) => {
    const h = row.startsWith('-- ') ? HEADER.exec(row) : null;
    if (h) {
      const sec: ConformanceSection = { name: h[1]!, text: '', line: i + 1 };
      const entry = { sec, bodyLine: i + 2, body: [] as string[] };
      if (h[2]) {
        if (!opts.readFile) fail(i + 1, `section '-- ${sec.name}' refers to ${h[2]}, which cannot be read here`);
        try {
          sec.text = opts.readFile!(h[2]).replace(/\n$/, '');
        } catch (e) {
          fail(i + 1, `cannot read ${h[2]} (${e instanceof Error ? e.message : String(e)})`);
        }
        sec.file = h[2];
        entry.bodyLine = 1;
      }
      found.push(entry);
      return;
    }
    const last = found[found.length - 1];
    if (!last) {
      if (row.trim() !== '' && !row.trimStart().startsWith('#')) fail(i + 1, `text before the first section: '${row.trim().slice(0, 40)}'`);
      return;
    }
    if (last.sec.file === undefined) last.body.push(row);
  });
  for (const f of found) if (f.sec.file === undefined) f.sec.text = f.body.join('\n');
  if (found.length === 0) fail(1, 'no sections (expected -- asm or -- raw)');

  const get = (name: string) => {
    const f = found.find((x) => x.sec.name === name);
    return f && { ...f.sec, bodyLine: f.bodyLine };
  };
  const out: ConformanceTest = { sections: found.map((f) => f.sec), insns: [], mem: new Uint8Array(0) };

  const rawSec = get('raw');
  if (rawSec) out.raw = parseRaw(rawSec.text, rawSec.bodyLine, (l, m) => fail(l, m));
  const asmSec = get('asm');
  if (asmSec) {
    try {
      const r = assemble(asmSec.text, { firstLine: asmSec.bodyLine });
      out.insns = r.insns;
      out.lines = r.lines;
      out.labels = r.labels;
    } catch (e) {
      if (e instanceof AsmError) {
        const at = asmSec.file ? `${where}: ${asmSec.file}:${e.line}:${e.col}` : `${where}:${e.line}:${e.col}`;
        throw new InputError('asm_syntax', `${at}: ${e.reason}`);
      }
      throw e;
    }
  } else if (out.raw) out.insns = out.raw;
  else fail(1, 'no program (expected a -- asm or -- raw section)');

  const memSec = get('mem');
  if (memSec) out.mem = parseHexBytes(memSec.text, memSec.bodyLine, (l, m) => fail(l, m));
  const resSec = get('result');
  if (resSec) {
    const lines = resSec.text.split('\n').map((l, i) => ({ t: l.replace(/#.*$/, '').trim(), n: resSec.bodyLine + i })).filter((l) => l.t);
    if (lines.length !== 1) fail(resSec.line, `-- result needs exactly one number (found ${lines.length} lines)`);
    const v = parseU64(lines[0]!.t);
    if (v === undefined) fail(lines[0]!.n, `bad result '${lines[0]!.t}'`);
    out.result = v!;
  }
  const err = get('error');
  if (err) out.error = err.text.trim();
  const pat = get('error pattern');
  if (pat) out.errorPattern = pat.text.trim();
  return out;
}

function parseU64(s: string): bigint | undefined {
  const m = /^(-)?(0x[0-9a-fA-F]+|[0-9]+)$/.exec(s);
  if (!m) return undefined;
  const v = BigInt(m[2]!) * (m[1] ? -1n : 1n);
  if (v < -(1n << 63n) || v >= 1n << 64n) return undefined;
  return BigInt.asUintN(64, v);
}

/** `-- raw`: one 64-bit word per line; the word's low byte is the opcode (little-endian struct bpf_insn). */
function parseRaw(text: string, firstLine: number, fail: (line: number, msg: string) => never): Insn[] {
  const out: Insn[] = [];
  text.split('\n').forEach((row, i) => {
    const t = row.replace(/#.*$/, '').trim();
    if (!t) return;
    const v = /^0x[0-9a-fA-F]{1,16}$/.test(t) ? BigInt(t) : undefined;
    if (v === undefined) fail(firstLine + i, `bad raw instruction '${t}' (expected 0x followed by up to 16 hex digits)`);
    out.push({
      code: Number(v! & 0xffn),
      dst: Number((v! >> 8n) & 0xfn),
      src: Number((v! >> 12n) & 0xfn),
      off: Number(BigInt.asIntN(16, v! >> 16n)),
      imm: Number(BigInt.asIntN(32, v! >> 32n)),
    });
  });
  return out;
}

/** Hex bytes separated by blanks (`aa bb`), or a hex dump (`0x0010:  0040 a8de`); `#` comments. */
function parseHexBytes(text: string, firstLine: number, fail: (line: number, msg: string) => never): Uint8Array {
  const bytes: number[] = [];
  text.split('\n').forEach((row, i) => {
    const t = row.replace(/#.*$/, '').replace(/^\s*0x[0-9a-fA-F]+:/, '').trim();
    if (!t) return;
    for (const g of t.split(/\s+/)) {
      if (!/^([0-9a-fA-F]{2})+$/.test(g)) fail(firstLine + i, `bad hex bytes '${g}'`);
      for (let k = 0; k < g.length; k += 2) bytes.push(parseInt(g.slice(k, k + 2), 16));
    }
  });
  return new Uint8Array(bytes);
}
