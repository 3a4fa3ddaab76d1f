/**
 * The order of the kernel's up-front passes (Linux 6.18 bpf_check): add_subprog_and_kfunc, then
 * check_subprogs ("jump out of range", "last insn is not an exit or jmp"), check_btf_info (without
 * BTF: "LD_ABS is not allowed in subprogs without BTF"), and only then resolve_pseudo_ldimm64
 * ("invalid bpf_ld_imm64 insn", "unknown opcode", "BPF_LDX uses reserved fields") and check_cfg
 * ("unreachable insn"). A program broken several ways gets the earliest pass's message; a call or
 * callback whose target is outside the program gets add_subprog's "call to invalid destination".
 * Compared with the running kernel where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`up-front pass order: no kernel comparison (${k.reason})`);

const cases: { name: string; body: string; message: string; type?: 'socket_filter' }[] = [
  // ld_imm64's first half as the last slot: check_subprogs sees a last insn that is no exit
  { name: 'ld_imm64_cut_off', body: '.insn 0xb7 0 0 0 0\n.insn 0x18 0 0 0 1', message: 'last insn is not an exit or jmp' },
  // an unknown opcode before a jump out of the program
  { name: 'unknown_opcode_then_bad_jump', body: '.insn 0xff 0 0 0 0\n.insn 0x05 0 0 16 0\n.insn 0x95 0 0 0 0', message: 'jump out of range from insn 1 to 18' },
  // an LDX with a reserved field set, and no exit at the end
  { name: 'ldx_reserved_then_no_exit', body: '.insn 0x61 0 1 0 1\n.insn 0xb7 0 0 0 0', message: 'last insn is not an exit or jmp' },
  // the second slot of an ld_imm64 that is an exit: the subprograms are fine, the pair is not
  { name: 'ld_imm64_bad_second_slot', body: '.insn 0x18 0 0 0 1\n.insn 0x95 0 0 0 0\n.insn 0x95 0 0 0 0', message: 'invalid bpf_ld_imm64 insn' },
  // a bpf-to-bpf call past the end of the program
  { name: 'call_past_the_end', body: '.insn 0x85 0 1 0 16\n.insn 0xb7 0 0 0 0\n.insn 0x95 0 0 0 0', message: 'call to invalid destination' },
  // LD_ABS in a subprogram without BTF, and an unreachable insn / an unknown opcode / a tail call in a subprogram
  { name: 'ld_abs_in_subprog_and_unreachable', type: 'socket_filter', body: 'r6 = r1\ncall sub\nexit\nr0 = 1\nexit\nsub:\nr0 = *(u8 *)skb[0]\nexit', message: 'LD_ABS is not allowed in subprogs without BTF' },
  { name: 'ld_abs_in_subprog_and_unknown_opcode', type: 'socket_filter', body: 'r6 = r1\ncall sub\n.insn 0xff 0 0 0 0\nexit\nsub:\nr0 = *(u8 *)skb[0]\nexit', message: 'LD_ABS is not allowed in subprogs without BTF' },
  { name: 'tail_call_in_subprog_and_unreachable', type: 'socket_filter', body: '.map pa prog_array key=4 value=4 entries=1\ncall sub\nexit\nr0 = 1\nexit\nsub:\nr2 = map[pa]\nr3 = 0\ncall bpf_tail_call\nr0 = 0\nexit', message: 'tail_call is not allowed in subprogs without BTF' },
];

describe("the kernel's up-front checks, in its order", () => {
  for (const c of cases) {
    it(c.name, () => {
      const type = c.type ?? 'xdp';
      const a = assemble(`.type ${type}\n${c.body}\n`);
      const p: Program = { name: c.name, section: type, type, insns: a.insns, maps: a.maps, license: 'GPL' };
      const mine = verify(p);
      expect(mine.error?.message).toBe(c.message);
      if (!k.ok) return;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict).toBe('reject');
      expect(firstKernelError(kr.log)).toBe(c.message);
    });
  }
});
