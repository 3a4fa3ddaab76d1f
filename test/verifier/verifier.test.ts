/**
 * Unit tests of the verifier's parts: the CFG and its structural rejections, the documented
 * error kinds, options (domains, the join strategy, uninitialised stack), the log format and
 * the `verify` command's exit codes and JSON.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program, ProgType } from '../../src/isa/program.js';
import { main } from '../../src/cli/main.js';
import { memoryIo, type Io } from '../../src/cli/io.js';
import { ERROR_KINDS, buildCfg, verify } from '../../src/verifier/index.js';
import { computeScc } from '../../src/verifier/scc.js';

function prog(text: string, type: ProgType = 'socket_filter'): Program {
  const a = assemble(text);
  return { name: 'p', section: '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
}

describe('cfg', () => {
  it('splits blocks at jumps and targets and labels edges', () => {
    const p = prog(`
      r0 = *(u32 *)(r1 +0)
      if r0 > 5 goto big
      r0 = 1
      goto out
    big:
      r0 = 2
    out:
      exit`);
    const cfg = buildCfg(p.insns);
    expect(cfg.blocks.map((b) => [b.start, b.end])).toEqual([[0, 1], [2, 3], [4, 4], [5, 5]]);
    const kinds = cfg.graph.edges().map((e) => `${e.v}->${e.w}:${cfg.graph.edge(e)!.kind}`).sort();
    expect(kinds).toEqual(['b0->b2:fallthrough', 'b0->b4:taken', 'b2->b5:jump', 'b4->b5:fallthrough']);
    expect(cfg.prunePoint[4]).toBe(1);
  });

  it('finds subprograms and loop heads', () => {
    const p = prog(`
      r1 = 0
    loop:
      r1 += 1
      if r1 < 4 goto loop
      call f
      exit
    f:
      r0 = 0
      exit`);
    const cfg = buildCfg(p.insns);
    expect(cfg.subprogs.map((s) => [s.start, s.end])).toEqual([[0, 5], [5, 7]]);
    expect(cfg.backEdges).toEqual([[2, 1]]);
    expect(cfg.loopHead[1]).toBe(1);
    expect(cfg.graph.edges().some((e) => cfg.graph.edge(e)!.kind === 'call')).toBe(true);
  });

  it('records back-edges in the order of the walk, loop heads and loops (not recursion)', () => {
    // The walk takes the fall-through first (and the call's callee after its return), so it
    // meets the callee's jump to itself (9 -> 9) before the outer back-edge (5 -> 1), and that
    // one before the inner (3 -> 2). A bpf-to-bpf call of the running function is a recursion,
    // not a back-edge.
    const p = prog(`
      r1 = 0
    outer:
      r2 = 0
    inner:
      r2 += 1
      if r2 < 3 goto inner
      r1 += 1
      if r1 < 3 goto outer
      call f
      exit
    f:
      r0 = 0
    self:
      if r0 > 7 goto self
      call f
      exit`);
    const cfg = buildCfg(p.insns);
    expect(cfg.backEdges).toEqual([[9, 9], [5, 1], [3, 2]]);
    expect([...cfg.loopHead].flatMap((x, pc) => (x ? [pc] : []))).toEqual([1, 2, 9]);
    const scc = computeScc(cfg, p.insns.length);
    expect([...scc]).toEqual([0, 1, 1, 1, 1, 1, 0, 0, 0, 2, 0, 0]);
  });

  it('rejects back-edges when loops are not allowed', () => {
    const r = verify(prog('r0 = 0\nloop:\nr0 += 1\nif r0 < 3 goto loop\nexit'), { rejectLoops: true });
    expect(r.error).toMatchObject({ kind: 'cfg_back_edge', message: 'back-edge from insn 2 to 1' });
  });

  it('reports structural errors with the kernel\'s words', () => {
    expect(verify(prog('r0 = 0\nexit\nr0 = 1\nexit')).error).toEqual({ pc: 2, kind: 'cfg_unreachable', message: 'unreachable insn 2' });
    expect(verify(prog('r0 = 0')).error?.message).toBe('last insn is not an exit or jmp');
  });
});

describe('ld_imm64 checks (resolve_pseudo_ldimm64)', () => {
  const withMap = (text: string): Program => prog(`.map m array key=4 value=8 entries=1\n${text}`);
  const patched = (src: number, hiImm: number): Program => {
    const p = withMap('r1 = map[m]\nr0 = 0\nexit');
    p.insns[0] = { ...p.insns[0]!, src };
    p.insns[1] = { ...p.insns[1]!, imm: hiImm };
    return p;
  };
  it('refuses a map reference with a non-zero upper half and an unknown pseudo source', () => {
    expect(verify(patched(1, 1)).error?.message).toBe('unrecognized bpf_ld_imm64 insn');
    expect(verify(patched(7, 0)).error?.message).toBe('unrecognized bpf_ld_imm64 insn');
  });
  it('refuses map indices into a missing fd_array and past the program\'s maps', () => {
    expect(verify(patched(5, 0)).error?.message).toBe('fd_idx without fd_array is invalid');
    const p = withMap('r1 = map[m]\nr0 = 0\nexit');
    p.insns[0] = { ...p.insns[0]!, imm: 1 };
    expect(verify(p).error).toEqual({ pc: 0, kind: 'invalid_insn', message: 'fd 1 is not pointing to valid bpf_map' });
  });
  it('checks direct value offsets before exploring', () => {
    expect(verify(patched(2, 8)).error?.kind).toBe('map_value_oob');
    expect(verify(patched(2, 4)).verdict).toBe('accept');
  });
});

describe('instruction fields are checked when explored, as the kernel does', () => {
  const base = (): Program => prog('r0 = 0\nif r0 == 0 goto out\nr1 = 1\nr2 = 2\nout:\nexit');
  it('dead code with reserved fields or r11+ and an exit with off != 0 are accepted', () => {
    const p = base();
    p.insns[2] = { ...p.insns[2]!, dst: 12 };
    p.insns[3] = { ...p.insns[3]!, off: 7 };
    p.insns[4] = { ...p.insns[4]!, off: -8 };
    expect(verify(p).verdict).toBe('accept');
  });
  it('reserved fields on a reached insn and unknown opcodes anywhere are rejected', () => {
    const p = base();
    p.insns[0] = { ...p.insns[0]!, off: 3 };
    expect(verify(p).error).toEqual({ pc: 0, kind: 'invalid_insn', message: 'BPF_MOV uses reserved fields' });
    const q = base();
    q.insns[2] = { ...q.insns[2]!, code: 0xff };
    expect(verify(q).error).toEqual({ pc: 2, kind: 'invalid_insn', message: 'unknown opcode ff' });
  });
});

describe('failing path, path states and the onInsn hook', () => {
  const p = prog('r6 = r1\ncall f\nif r0 > 3 goto bad\nr0 = 0\nexit\nbad:\nr1 = *(u32 *)(r6 +1000)\nexit\nf:\ncall bpf_get_prandom_u32\nexit');
  it('path runs from the entry through the subprogram to the failing insn; states come with the log', () => {
    const r = verify(p);
    expect(r.path).toEqual([0, 1, 7, 8, 2, 5]);
    expect(r.pathStates).toBeUndefined();
    const l = verify(p, { log: true });
    expect(l.pathStates?.map((s) => s.pc)).toEqual(l.path);
    expect(l.pathStates![2]!.regs).toBe('frame1: R1=ctx() R10=fp0');
    expect(l.pathStates![5]!.regs).toBe('R0=scalar(umin=4) R6=ctx() R10=fp0');
  });
  it('onInsn sees every processed instruction with the state before it', () => {
    const pcs: number[] = [];
    const r = verify(p, { onInsn: (pc, st) => { pcs.push(pc); expect(st.frames.length).toBeGreaterThan(0); } });
    expect(pcs.length).toBe(r.processed);
    expect(pcs.slice(0, 4)).toEqual([0, 1, 7, 8]);
  });
});

describe('error kinds', () => {
  it('docs/verifier-error-kinds.md lists every kind', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/verifier-error-kinds.md', import.meta.url)), 'utf8');
    for (const [k, meaning] of Object.entries(ERROR_KINDS)) expect(doc, k).toContain(`| \`${k}\` | ${meaning} |`);
  });
});

describe('options', () => {
  const counted = prog(`
    r1 = 0
    r0 = 0
  loop:
    r0 += 2
    r1 += 1
    if r1 < 50 goto loop
    exit`);
  it('the join strategy converges on a loop the dfs strategy unrolls', () => {
    const dfs = verify(counted);
    const join = verify(counted, { strategy: 'join' });
    expect(dfs.verdict).toBe('accept');
    expect(join.verdict).toBe('accept');
    expect(join.processed).toBeLessThan(dfs.processed);
  });

  it('every domain accepts a counted loop', () => {
    for (const domain of ['kernel', 'tnum', 'interval'] as const) expect(verify(counted, { domain }).verdict, domain).toBe('accept');
  });

  it('uninitialised stack reads are allowed as for root, refused as for unprivileged loaders', () => {
    const p = prog('r0 = *(u64 *)(r10 -8)\nexit');
    expect(verify(p).verdict).toBe('accept');
    expect(verify(p, { allowUninitStack: false }).error?.kind).toBe('stack_uninit');
  });

  it('stops at the processed-instruction limit with the kernel message', () => {
    const r = verify(counted, { insnLimit: 40 });
    expect(r.error).toMatchObject({ kind: 'too_large', message: 'BPF program is too large. Processed 41 insn' });
  });
});

describe('log', () => {
  it('prints instructions, state annotations, branch switches and the statistics line', () => {
    const r = verify(prog(`
      r0 = *(u32 *)(r1 +0)
      if r0 > 5 goto big
      r0 = 1
      exit
    big:
      r0 = 2
      exit`), { log: true });
    const lines = r.log!.split('\n');
    expect(lines[0]).toBe('0: R1=ctx() R10=fp0');
    expect(lines[1]).toMatch(/^0: \(61\) r0 = \*\(u32 \*\)\(r1 \+0\) +; R0=scalar\(smin=0,smax=umax=0xffffffff,var_off=\(0x0; 0xffffffff\)\) R1=ctx\(\)$/);
    expect(lines.some((l) => l.startsWith('from 1 to 4: R0=scalar('))).toBe(true);
    expect(lines.at(-2)).toMatch(/^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/);
  });
});

describe('bpflab verify', () => {
  const run = async (argv: string[], files: Record<string, string>) => {
    let out = '';
    let err = '';
    const io: Io = {
      out: (t) => { out += t; },
      err: (t) => { err += t; },
      readFile: (p) => new TextEncoder().encode(files[p] ?? ''),
      writeFile: () => {},
    } as Io;
    const code = await main(argv, io);
    return { code, out, err };
  };
  it('exit 0 and SPEC JSON for an accepted program', async () => {
    const r = await run(['verify', 'ok.s', '--json'], { 'ok.s': 'r0 = 0\nexit\n' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.file).toBe('ok.s');
    expect(j.programs[0]).toMatchObject({ verdict: 'accept', error: null, insns: 2, type: 'socket_filter' });
    expect(typeof j.programs[0].processed).toBe('number');
  });
  it('exit 1 with the kernel message for a rejected program', async () => {
    const r = await run(['verify', 'bad.s'], { 'bad.s': 'exit\n' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('reject at insn 0: R0 !read_ok [uninit_reg]');
  });
  it('--report and --sarif write the HTML report and SARIF', async () => {
    const io = memoryIo({ 'bad.s': 'r0 = *(u32 *)(r1 +1000)\nexit\n' });
    expect(await main(['verify', 'bad.s', '--report', 'out.html', '--sarif', 'out.sarif'], io)).toBe(1);
    const text = (f: string): string => new TextDecoder().decode(io.files.get(f));
    const html = text('out.html');
    expect(html).toContain('invalid bpf_context access off=1000 size=4');
    const sarif = JSON.parse(text('out.sarif'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].ruleId).toBe('ctx_access');
  });
  it('exit 2 on bad input', async () => {
    const r = await run(['verify', 'x.s'], { 'x.s': 'r0 = = 1\n' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/x\.s:1/);
  });
});
