/**
 * Where the kernel judges an encoding: ld_imm64 BTF ids up front (resolve_pseudo_ldimm64 ->
 * check_pseudo_btf_id) and kfunc call ids (add_subprog_and_kfunc), even in dead code; reserved fields of other instructions only where
 * exploration reaches them; assembly with such fields loads (the verifier, not the loader, decides).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../../src/loader/target.js';
import { verify } from '../../src/verifier/index.js';

const DEAD = (slot0: string, slot1: string): string => `r0 = 0\nif r0 == 0 goto out\n${slot0}\n${slot1}\nout:\nexit`;

describe('encodings judged where the kernel judges them', () => {
  it('a reserved field in dead assembly loads and verifies; reached, it is refused', () => {
    const dead = loadAsmProgram(DEAD('.insn 0xb7 1 0 1 0', 'r1 = 1'), 'dead.s', {});
    expect(verify(dead).verdict).toBe('accept');
    const live = loadAsmProgram('.insn 0xb7 0 0 1 0\nexit', 'live.s', {});
    expect(verify(live).error?.message).toBe('BPF_MOV uses reserved fields');
  });

  it('an ld_imm64 with an invalid dst register is judged where it is reached (check_ld_imm), not up front', () => {
    const a = assemble(DEAD('.insn 0x18 15 0 0 0', '.insn 0x00 0 0 0 0'));
    const p: Program = { name: 'p', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
    expect(verify(p).verdict).toBe('accept');
    const live = assemble('.insn 0x18 15 0 0 0\n.insn 0x00 0 0 0 0\nr0 = 0\nexit');
    expect(verify({ ...p, insns: live.insns }).error).toEqual({ pc: 0, kind: 'invalid_insn', message: 'R15 is invalid' });
  });

  const btf = existsSync(RUNNING_KERNEL_BTF) ? readTargetBtf(RUNNING_KERNEL_BTF) : 'no kernel BTF';
  it.skipIf(typeof btf === 'string')('an ld_imm64 BTF id that is not a VAR or FUNC is refused up front, even unreached', () => {
    if (typeof btf === 'string') return;
    const id = btf.find('task_struct', 'struct')[0]!.id;
    const a = assemble(DEAD(`.insn 0x18 1 3 0 ${id}`, '.insn 0x00 0 0 0 0'));
    const p: Program = { name: 'p', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
    expect(verify(p).error).toEqual({ pc: 2, kind: 'invalid_insn', message: `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC` });
  });

  it.skipIf(typeof btf === 'string')('a kfunc call whose BTF id is not a function is refused up front, even unreached (add_kfunc_call)', () => {
    if (typeof btf === 'string') return;
    const id = btf.find('task_struct', 'struct')[0]!.id;
    const a = assemble(DEAD(`.insn 0x85 0 2 0 ${id}`, 'r0 = 0'));
    const p: Program = { name: 'p', section: '', type: 'sched_cls', insns: a.insns, maps: a.maps, license: 'GPL' };
    expect(verify(p).error).toEqual({ pc: 2, kind: 'helper_unknown', message: `kernel btf_id ${id} is not a function` });
    const fn = btf.find('bpf_task_acquire', 'func')[0]!.id;
    const ok = assemble(DEAD(`.insn 0x85 0 2 0 ${fn}`, 'r0 = 0'));
    expect(verify({ ...p, insns: ok.insns }).verdict).toBe('accept');
  });
});
