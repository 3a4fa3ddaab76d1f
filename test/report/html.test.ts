import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProgramView, buildReportInput, escapeHtml, fromWire, jsonForScript, packInts, renderHtmlReport, hexDump, stateAt, unpackInts, type ProgramView, type WireView } from '../../src/report/index.js';
import { verify } from '../../src/verifier/index.js';
import { asm, BRANCHY, inputOf, longProgram, PACKET_OK, PACKET_OOB } from './helpers.js';

const HOSTILE = '<script>alert(1)</script>';

/** The page without the bodies of its script elements (library code may mention URLs). */
function markupOnly(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2');
}

function island(html: string): { file: string; programs: ProgramView[] } {
  const m = /<script type="application\/json" id="bpflab-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  const data = JSON.parse(m![1]!) as { file: string; programs: WireView[] };
  return { file: data.file, programs: data.programs.map(fromWire) };
}

describe('renderHtmlReport', () => {
  const oob = asm(PACKET_OOB);
  const html = renderHtmlReport(inputOf([oob, asm(PACKET_OK)]));

  it('is one self-contained document: no external src/href, no module scripts, no links', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const markup = markupOnly(html);
    const refs = [...markup.matchAll(/\s(src|href|srcset|action|data)\s*=\s*"([^"]*)"/gi)].map((m) => m[2]!);
    expect(refs.length).toBeGreaterThan(0); // the in-page anchors
    for (const r of refs) expect(r.startsWith('#'), r).toBe(true);
    expect(markup).not.toMatch(/<link\b/i);
    expect(markup).not.toMatch(/<script[^>]*type="module"/i);
    expect(markup).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(markup).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    // d3 is inlined as a classic script defining the global.
    expect(html).toContain('d3js.org');
    expect((html.match(/<script\b/g) ?? []).length).toBe(3);
  });

  it('carries the verdicts, the error with its kind, and a CFG of the verifier blocks', () => {
    const data = island(html);
    expect(data.programs.map((p) => p.verdict)).toEqual(['reject', 'accept']);
    // rejected programs come first whatever the file's order
    expect(island(renderHtmlReport(inputOf([asm(PACKET_OK), oob]))).programs.map((p) => p.verdict)).toEqual(['reject', 'accept']);
    const p = data.programs[0]!;
    expect(p.error).toMatchObject({ pc: 5, kind: 'packet_oob', text: 'r0 = *(u32 *)(r2 +12)' });
    expect(p.error!.message).toContain('invalid access to packet');
    expect(html).toContain('invalid access to packet, off=12 size=4');
    expect(p.graph!.nodes.map((n) => [n.start, n.end])).toEqual([[0, 4], [5, 5], [6, 7]]);
    expect(p.graph!.nodes.find((n) => n.start === 5)!.failing).toBe(true);
    expect(p.path).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stateAt(p, 5)!.path).toBe(true);
    for (const n of p.graph!.nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    for (const e of p.graph!.edges) expect(e.points.length).toBeGreaterThan(1);
    // Path edges: 0-4 -> 5 is on the path, 0-4 -> 6 is not.
    expect(p.graph!.edges.find((e) => e.from === 'b0' && e.to === 'b5')!.onPath).toBe(true);
    expect(p.graph!.edges.find((e) => e.from === 'b0' && e.to === 'b6')!.onPath).toBe(false);
  });

  it('carries every instruction\'s text for the page\'s virtualised listing', () => {
    const data = island(html);
    expect(data.programs[0]!.text).toHaveLength(oob.insns.length);
    expect(data.programs[0]!.text[5]).toBe('r0 = *(u32 *)(r2 +12)');
    expect(data.programs[0]!.targets).toEqual([[4, 6]]);
  });

  it('escapes hostile program names, sections, files and source lines everywhere', () => {
    const p = asm(BRANCHY, HOSTILE);
    p.name = HOSTILE;
    p.section = `"><img src=x onerror=alert(2)>`;
    p.lineInfo = [
      { pc: 0, file: '</script><script>alert(3)</script>', line: 1, col: 1, text: '<!-- </script> --> & \u2028' },
      { pc: 9, file: 'a.c', line: 7, col: 3, text: `x = "<b>'y'</b>";` },
    ];
    const out = renderHtmlReport({ file: HOSTILE, programs: inputOf([p]).programs, title: HOSTILE });
    expect(out).not.toContain(HOSTILE);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((out.match(/<script\b/g) ?? []).length).toBe(3);
    expect((out.match(/<\/script>/g) ?? []).length).toBe(3);
    const data = island(out);
    expect(data.file).toBe(HOSTILE);
    expect(data.programs[0]!.name).toBe(HOSTILE);
    expect(data.programs[0]!.error!.source).toMatchObject({ file: 'a.c', line: 7 });
    expect(data.programs[0]!.sources[0]![4]).toBe('<!-- </script> --> & \u2028');
  });

  it('draws a partial CFG when the verifier stopped before building one', () => {
    const p = asm('r0 = 0\nexit\nr0 = 1\nexit\n');
    const data = island(renderHtmlReport(inputOf([p])));
    const v = data.programs[0]!;
    expect(v.error).toMatchObject({ pc: 2, kind: 'cfg_unreachable' });
    expect(v.graph!.partial).toBe(true);
    expect(v.graph!.nodes.find((n) => n.failing)!.start).toBe(2);
  });

  it('shows explain results and the kernel verdict', () => {
    const input = inputOf([oob]);
    input.programs[0]!.explain = {
      feasible: true,
      path: [0, 1, 2, 3, 4, 5],
      witness: { ctx: '', packet: '000102030405060708090a0b0c0d' },
      replay: { engine: 'vm', fault: { pc: 5, kind: 'out_of_bounds', region: 'packet', offset: 12, size: 4 } },
      imprecision: null,
    };
    input.programs[0]!.kernel = { verdict: 'reject', message: 'invalid access to packet, off=12 size=4, R2(id=0,off=12,r=14)', processed: 6, ms: 0.05 };
    const out = renderHtmlReport(input);
    expect(out).toContain('feasible: real bug');
    expect(out).toContain('0000</span>  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d');
    expect(out).toMatch(/fault at <a href="#" data-goto="5">insn 5<\/a>: <code>out_of_bounds<\/code> \(packet, offset 12, size 4\)/);
    expect(out).toContain('<span class="chip accept">agrees</span>');
    const inf = inputOf([oob]);
    inf.programs[0]!.explain = { feasible: false, imprecision: { pc: 3, abstract: 'R4=scalar(umax=255)', concrete: '{0..15}' } };
    const out2 = renderHtmlReport(inf);
    expect(out2).toContain('infeasible: false alarm');
    expect(out2).toContain('R4=scalar(umax=255)');
    expect(island(out2).programs[0]!.explain!.imprecision!.pc).toBe(3);
  });
});

describe('buildProgramView', () => {
  it('prefers the verifier\'s own path and full path states when the result carries them', () => {
    const p = asm(PACKET_OOB);
    const r = verify(p, { log: true });
    const regs = (r2: string): string => `R1=ctx() R2=${r2} R10=fp0`;
    const withPath = {
      ...r,
      path: [0, 1, 2, 3, 4, 5],
      pathStates: [0, 1, 2, 3, 4, 5].map((pc) => ({ pc, regs: regs(pc < 5 ? 'pkt(r=0)' : 'pkt(r=14)') })),
    };
    const v = buildProgramView({ program: p, result: withPath }, 0);
    expect(v.pathSource).toBe('verifier');
    expect(stateAt(v, 5)).toMatchObject({ path: true, exact: true, before: [['R1', 'ctx()'], ['R2', 'pkt(r=14)'], ['R10', 'fp0']] });
    expect(stateAt(v, 4)!.changed).toEqual(['R2']);
    // Without them, states are replayed from the level-1 log and say so.
    const { path: _path, pathStates: _states, ...logOnly } = r;
    const plain = buildProgramView({ program: p, result: logOnly }, 0);
    expect(plain.pathSource).toBe('log');
    expect(stateAt(plain, 5)).toMatchObject({ path: true, exact: false });
  });

  it('re-runs the verifier for states when the result has none: a state per pc, exact', () => {
    const p = asm(BRANCHY);
    const v = buildProgramView({ program: p, result: verify(p) }, 0);
    const s3 = stateAt(v, 3)!;
    expect(s3.exact).toBe(true);
    expect(s3.before.find(([k]) => k === 'R4')![1]).toMatch(/^pkt/);
    expect(s3.after.find(([k]) => k === 'R4')![1]).toMatch(/off=8/);
    expect(stateAt(v, 9)).toMatchObject({ path: true });
    expect(stateAt(v, 7)).toMatchObject({ path: false, n: 1 }); // the other branch, off the failing path
  });

  it('a long rejected program: compact states, the linear layout, a focus on the failing block', async () => {
    const p = asm(longProgram(1500), 'long.s');
    const input = await buildReportInput('long.s', [p], { explain: false });
    const html = renderHtmlReport(input);
    const v = island(html).programs[0]!;
    expect(v.verdict).toBe('reject');
    expect(v.graph!.nodes.length).toBeGreaterThan(300);
    const fail = v.graph!.nodes.find((n) => n.failing)!;
    expect(fail.start).toBeLessThanOrEqual(v.error!.pc);
    // the whole page stays small: no rendered string per instruction
    expect(html.length).toBeLessThan(1_500_000);
    expect(stateAt(v, v.error!.pc)!.path).toBe(true);
    for (const n of v.graph!.nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
  });
});

describe('escaping', () => {
  it('escapeHtml leaves no markup characters', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('<', '>', '&', '"', "'", ';', '#', 'a', 'é') })), (s) => {
      const e = escapeHtml(s);
      return !/[<>"']/.test(e) && !e.replace(/&(amp|lt|gt|quot|#39);/g, '').includes('&');
    }));
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('jsonForScript round-trips and cannot close the script element', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 40 }), (v, s) => {
      const doc = { v, s: s + '</script><!--' };
      const j = jsonForScript(doc);
      return !/[<>]/.test(j) && JSON.stringify(JSON.parse(j)) === JSON.stringify(doc);
    }));
  });

  it('hexDump prints 16 bytes per line with offsets and ignores non-hex', () => {
    expect(hexDump('00'.repeat(17))).toBe('<span class="off">0000</span>  ' + Array(16).fill('00').join(' ') + '\n<span class="off">0010</span>  00');
    expect(hexDump('<b>')).toContain('0000</span>  b');
  });
});
