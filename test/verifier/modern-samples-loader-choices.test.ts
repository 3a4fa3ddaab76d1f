/**
 * The six modern-samples programs whose processed-insn count differs from kernel-verdicts.json
 * differ because libbpf loaded them differently from bpflab's loader, not because the verifiers
 * differ (docs/findings.md, "Processed counts that depend on the loader"):
 * - ksyscall.bpf.o: libbpf sets LINUX_HAS_SYSCALL_WRAPPER by attaching a kprobe to
 *   __x64_sys_bpf; this kernel has no CONFIG_KPROBES, so libbpf says 0 where bpflab (reading the
 *   target BTF) says 1, and the verifier prunes the other arm of BPF_KSYSCALL's `if`.
 * - xdp_redirect_cpumap.bpf.o: cpus_available has max_entries 0 in the ELF (xdp-bench sets the CPU
 *   count); the kernel-verdicts run gave it 1024, so the constant-key lookup `cpus_available[0]`
 *   cannot return NULL there (can_elide_value_nullness) and one branch fewer is explored.
 * With libbpf's choices applied, bpflab gives kernel-verdicts.json's counts; with its own, the
 * kernel (through bpflab's loader) gives bpflab's counts. Kernel parts skip when bpf() is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFile, verify } from '../../src/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { haveModernSamples, modernDir } from '../../src/bench/modern.js';

const have = haveModernSamples();
if (!have) console.log('skip modern-samples loader choices: no ../shared/modern-samples/kernel-verdicts.json');
const k = kernelAvailable();
if (!k.ok) console.log(`skip modern-samples loader choices, kernel side: ${k.reason}`);

const KSYSCALL = 'obj/libbpf-bootstrap/examples/c/ksyscall.bpf.o';
const CPUMAP = 'obj/xdp-tools/xdp-bench/xdp_redirect_cpumap.bpf.o';
const CPUMAP_PROGS = ['cpumap_no_touch', 'cpumap_touch_data', 'cpumap_l4_proto', 'cpumap_l4_filter'];

async function programs(obj: string): Promise<Program[]> {
  const f = resolve(modernDir(), obj);
  return loadFile(f, new Uint8Array(readFileSync(f)));
}

function kernelProcessed(p: Program): number {
  const r = progLoad(p, { logLevel: 1 });
  if (r.fd !== null) closeFd(r.fd);
  const m = /processed (\d+) insns/.exec(r.log);
  if (!m) throw new Error(`no processed count in the kernel log of ${p.name}: ${r.log.slice(-300)}`);
  return Number(m[1]);
}

function recorded(obj: string, name: string): number {
  const doc = JSON.parse(readFileSync(resolve(modernDir(), 'kernel-verdicts.json'), 'utf8')) as { results: { obj: string; name: string; processed?: number }[] };
  const row = doc.results.find((r) => r.obj === obj && r.name === name);
  if (!row || row.processed === undefined) throw new Error(`no kernel-verdicts row for ${obj}/${name}`);
  return row.processed;
}

/** libbpf's value of LINUX_HAS_SYSCALL_WRAPPER on this machine (no kprobes): the .kconfig byte 0. */
function withoutSyscallWrapper(p: Program): Program {
  const kcfg = p.maps.find((m) => m.name.endsWith('.kconfig'));
  if (!kcfg?.initial) throw new Error(`${p.name}: no .kconfig map`);
  kcfg.initial[0] = 0;
  return p;
}

/** The map sizes the kernel-verdicts run gave (its `resized_maps` column). */
function resizedAsRecorded(p: Program): Program {
  for (const m of p.maps) if (m.maxEntries === 0) m.maxEntries = m.name === 'cpu_map' ? 2 : 1024;
  return p;
}

describe.skipIf(!have || !existsSync(resolve(modernDir(), KSYSCALL)))('modern-samples: processed counts under libbpf\'s loader choices', () => {
  test('ksyscall with LINUX_HAS_SYSCALL_WRAPPER = 0 gives the recorded counts (39, 33); bpflab\'s own value 1 gives 61, 50', async () => {
    for (const name of ['tgkill_entry', 'entry_probe']) {
      const own = (await programs(KSYSCALL)).find((p) => p.name === name)!;
      const libbpfs = withoutSyscallWrapper((await programs(KSYSCALL)).find((p) => p.name === name)!);
      expect(verify(libbpfs).processed).toBe(recorded(KSYSCALL, name));
      expect(verify(own).processed).not.toBe(recorded(KSYSCALL, name));
      if (k.ok) {
        expect(kernelProcessed(libbpfs)).toBe(verify(libbpfs).processed);
        expect(kernelProcessed(own)).toBe(verify(own).processed);
      }
    }
    expect(verify((await programs(KSYSCALL)).find((p) => p.name === 'tgkill_entry')!).processed).toBe(61);
  });

  test('xdp_redirect_cpumap with the recorded map sizes gives the recorded counts', async () => {
    for (const name of CPUMAP_PROGS) {
      const p = resizedAsRecorded((await programs(CPUMAP)).find((x) => x.name === name)!);
      expect(verify(p).processed).toBe(recorded(CPUMAP, name));
      if (k.ok) expect(kernelProcessed(p)).toBe(recorded(CPUMAP, name));
      // cpus_available alone makes the difference: left at the ELF's 0 entries, the lookup may fail.
      const p0 = (await programs(CPUMAP)).find((x) => x.name === name)!;
      for (const m of p0.maps) if (m.maxEntries === 0 && m.name !== 'cpus_available') m.maxEntries = m.name === 'cpu_map' ? 2 : 1024;
      expect(verify(p0).processed).not.toBe(recorded(CPUMAP, name));
    }
  });
});
