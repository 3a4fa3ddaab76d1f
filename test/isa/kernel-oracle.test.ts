/**
 * The disassembly equals the running kernel's own text: programs covering every instruction class
 * the kernel accepts are loaded with BPF_PROG_LOAD log_level 2, and every instruction line of the
 * verifier log ("12: (bf) r1 = r6  ; R1_w=ctx()") is compared with disasmLine(..., kernel style).
 * ld_imm64 map references print a kernel address in the log; those lines are checked by shape.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import { disasmLine } from '../../src/isa/disasm.js';
import * as op from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { CLASS_NAMES } from './arbitrary.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping kernel disassembly oracle: ${avail.reason}`);

const ALU_OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '%=', '^=', 's>>=', 's/=', 's%='];
const CMP = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];

const PROGRAMS: Record<string, string> = {
  alu: [
    'r6 = r1', 'r2 = 7', 'r3 = 3', 'w4 = 5', 'w5 = 2',
    ...ALU_OPS.map((o) => `r2 ${o} ${o.includes('<') || o.includes('>') ? 1 : 3}`),
    ...ALU_OPS.map((o) => `r2 ${o} r3`),
    ...ALU_OPS.map((o) => `w4 ${o} ${o.includes('<') || o.includes('>') ? 1 : 3}`),
    ...ALU_OPS.map((o) => `w4 ${o} w5`),
    'r2 = r3', 'r2 = (s8)r3', 'r2 = (s16)r3', 'r2 = (s32)r3', 'w4 = w5', 'w4 = (s8)w5', 'w4 = (s16)w5',
    'r2 = -r2', 'w4 = -w4', 'r2 = -1', 'w4 = -1', 'r2 = 2147483647', 'w4 = 0x80000000',
    ...['le', 'be', 'bswap'].flatMap((k) => [16, 32, 64].map((w) => `r2 = ${k}${w} r2`)),
    'r0 = 0', 'exit',
  ].join('\n'),
  memory: [
    'r1 = 0x1122334455667788 ll', 'r3 = -2 ll',
    '*(u64 *)(r10 -8) = r1', '*(u32 *)(r10 -12) = r1', '*(u16 *)(r10 -14) = r1', '*(u8 *)(r10 -15) = r1',
    '*(u8 *)(r10 -16) = 1', '*(u16 *)(r10 -18) = -2', '*(u32 *)(r10 -24) = 3', '*(u64 *)(r10 -32) = -4',
    'r2 = *(u64 *)(r10 -8)', 'r2 = *(u32 *)(r10 -12)', 'r2 = *(u16 *)(r10 -14)', 'r2 = *(u8 *)(r10 -15)',
    'r2 = *(s8 *)(r10 -15)', 'r2 = *(s16 *)(r10 -14)', 'r2 = *(s32 *)(r10 -12)', 'r1 = 1',
    ...['+=', '&=', '|=', '^='].flatMap((o) => [`lock *(u64 *)(r10 -8) ${o} r1`, `lock *(u32 *)(r10 -24) ${o} r1`]),
    ...['add', 'and', 'or', 'xor'].flatMap((o) => [`r1 = atomic64_fetch_${o}((u64 *)(r10 -8), r1)`, `r1 = atomic_fetch_${o}((u32 *)(r10 -24), r1)`]),
    'r1 = atomic64_xchg((u64 *)(r10 -8), r1)', 'r1 = atomic_xchg((u32 *)(r10 -24), r1)', 'r0 = 0',
    'r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)', 'r0 = atomic_cmpxchg((u32 *)(r10 -24), r0, r1)',
    'r0 = 0', 'exit',
  ].join('\n'),
  acquire_release: [
    'r1 = 5', '*(u64 *)(r10 -8) = r1',
    ...['u8', 'u16', 'u32', 'u64'].flatMap((s) => [`r0 = load_acquire((${s} *)(r10 -8))`, `store_release((${s} *)(r10 -8), r1)`]),
    'r0 = 0', 'exit',
  ].join('\n'),
  jumps_packets: [
    'r6 = r1',
    'r0 = *(u8 *)skb[12]', 'r0 = *(u16 *)skb[12]', 'r0 = *(u32 *)skb[10]',
    'r7 = 2', 'r0 = *(u8 *)skb[r7 + 12]', 'r0 = *(u16 *)skb[r7 + 12]', 'r0 = *(u32 *)skb[r7 + 8]',
    'r1 = r0', 'r2 = 9', 'w3 = 4',
    ...CMP.flatMap((c) => [`if r1 ${c} 0x5 goto pc+0`, `if r1 ${c} r2 goto pc+0`, `if w1 ${c} 0x5 goto pc+0`, `if w1 ${c} w3 goto pc+0`]),
    'if r1 == 0xffffffff goto pc+0', 'goto pc+0', 'gotol pc+0', 'r0 = 0', 'exit',
  ].join('\n'),
  calls_maps: [
    '.map m array key=4 value=8 entries=1',
    '*(u32 *)(r10 -4) = 0', 'r2 = r10', 'r2 += -4', 'r1 = map[m]', 'call bpf_map_lookup_elem',
    'if r0 == 0x0 goto next', 'r1 = map_value[m] + 4', 'next:', 'call bpf_get_prandom_u32', 'call bpf_ktime_get_ns',
    'r1 = 1', 'call sub', 'r0 = 0', 'exit', 'sub:', 'r0 = r1', 'exit',
  ].join('\n'),
  may_goto: ['r0 = 0', 'may_goto pc+1', 'r0 = 1', 'exit'].join('\n'),
  // bpf_loop callbacks need BTF func_info, so this one is rejected; its ld_imm64 (src 4) line is still compared.
  callback: ['r1 = 2', 'r2 = subprog[cb]', 'r3 = 0', 'r4 = 0', 'call bpf_loop', 'r0 = 0', 'exit', 'cb:', 'r0 = 0', 'exit'].join('\n'),
};

const LOG_LINE = /^(\d+): (\([0-9a-f]{2}\) [^;]*?)\s*(?:;.*)?$/;
// 6.18 also lists every instruction once under "Live regs before insn:" ("      5: .1234..... (85) call bpf_loop#181").
const LIVE_LINE = /^\s+(\d+): [.0-9]+ (\([0-9a-f]{2}\) .*?)\s*$/;

const totals = { liveLines: 0, compared: 0, mapShape: 0, perClass: new Map<string, number>(), opcodes: new Set<number>(), rejected: [] as string[] };

describe.skipIf(!avail.ok)('disassembly equals the kernel verifier log (log_level 2)', () => {
  afterAll(() => {
    console.log(`kernel oracle: ${totals.compared} instruction lines equal to the kernel's text (${totals.opcodes.size} distinct opcodes; ` +
      `${[...totals.perClass].map(([k, v]) => `${k} ${v}`).join(', ')}), ${totals.mapShape} map-pointer lines checked by shape, ` +
      `${totals.liveLines} "Live regs" listing lines read` +
      (totals.rejected.length ? `; not accepted by this kernel: ${totals.rejected.join('; ')}` : ''));
  });

  test.each(Object.keys(PROGRAMS))('%s', (name) => {
    const a = assemble(PROGRAMS[name]!);
    const program: Program = { name, section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
    const res = progLoad(program, { logLevel: 2 });
    if (res.fd !== null) closeFd(res.fd);
    const seen = new Map<number, string>();
    let live = 0;
    for (const line of res.log.split('\n')) {
      const m = LOG_LINE.exec(line) ?? LIVE_LINE.exec(line);
      if (!m) continue;
      const text = `${m[1]}: ${m[2]}`;
      const prev = seen.get(Number(m[1]));
      if (prev !== undefined) expect(text).toBe(prev); // the two listings agree
      else seen.set(Number(m[1]), text);
      if (!LOG_LINE.test(line)) live++;
    }
    totals.liveLines += live;
    if (res.verdict !== 'accept') {
      // Compare what the kernel did print, and say why it stopped.
      const why = res.log.trim().split('\n').filter((l) => !LOG_LINE.test(l) && !LIVE_LINE.test(l) && !/^(verification time|stack depth|processed) /.test(l)).slice(-1).join(' / ');
      totals.rejected.push(`${name} (${res.errno}: ${why})`);
    }
    expect(seen.size).toBeGreaterThan(0);
    for (const [pc, kernelLine] of seen) {
      const ins = a.insns[pc]!;
      if (ins.code === op.BPF_LD_IMM64 && (ins.src === 1 || ins.src === 2)) {
        expect(kernelLine).toMatch(new RegExp(`^${pc}: \\(18\\) r${ins.dst} = 0x[0-9a-f]+$`));
        totals.mapShape++;
        continue;
      }
      expect(disasmLine(a.insns, pc, { style: 'kernel' })).toBe(kernelLine);
      totals.compared++;
      const cls = CLASS_NAMES[op.cls(ins.code)]!;
      totals.perClass.set(cls, (totals.perClass.get(cls) ?? 0) + 1);
      totals.opcodes.add(ins.code);
    }
    // The main programs must load; the newest features may be missing on an older kernel.
    if (['alu', 'memory', 'jumps_packets', 'calls_maps'].includes(name)) expect(res.verdict, res.log.slice(-500)).toBe('accept');
  });
});
