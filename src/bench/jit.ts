/**
 * JIT rows of the benchmark table (SPEC section 5): ns per executed instruction of the
 * WebAssembly JIT (trusted and checked modes) on the ALU loop, the memory loop and the
 * map-heavy loop, each beside the kernel's JIT running the same program through
 * BPF_PROG_TEST_RUN (anchor, ratio) and the VM, all measured in the same run; then compile
 * time per 1,000 instructions and code size.
 *
 * Method, as close to BPF_PROG_TEST_RUN as the two engines allow: one setup, then the program
 * repeated on the same context and maps; CPU time (process.cpuUsage) per executed instruction,
 * after a warm-up long enough for V8's optimising tier (TurboFan) to replace its baseline code
 * (a wasm function is swapped at its next call, so every measured call runs optimised code).
 */
import { assemble } from '../isa/asm/index.js';
import { copyInsn } from '../isa/insn.js';
import type { Program } from '../isa/program.js';
import { Jit, type JitMode } from '../jit/index.js';
import { Vm } from '../vm/index.js';
import { benchPrograms as programs, median } from './loops.js';
import type { BenchOptions, BenchRow, BenchSuite } from './types.js';


/** CPU ns per executed instruction: rounds of >= 20 ms of repeated runs, median of rounds. */
function measure(runBatch: () => number, rounds: number): number {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    let insns = 0;
    do insns += runBatch(); while (Date.now() - t0 < 20);
    const c = process.cpuUsage(c0);
    samples.push(((c.user + c.system) * 1000) / insns);
  }
  return median(samples);
}

type Kernel = typeof import('../kernel/index.js');

async function loadKernel(): Promise<{ kernel: Kernel | null; why: string }> {
  try {
    const kernel = await import('../kernel/index.js');
    const a = kernel.kernelAvailable();
    return a.ok ? { kernel, why: '' } : { kernel: null, why: a.reason };
  } catch (e) {
    return { kernel: null, why: (e as Error).message };
  }
}

/** A large acyclic program for compile-time figures: `n` blocks of ALU, stack and branch work. */
function bigProgram(blocks: number): Program {
  const lines = ['r0 = 0', 'r1 = 1', 'r2 = 2', '*(u64 *)(r10 -8) = r0', '*(u64 *)(r10 -16) = r1'];
  for (let i = 0; i < blocks; i++) {
    lines.push(
      `r1 += ${i + 1}`, 'r2 ^= r1', 'w3 = w2', 'w3 *= 7', 'r0 += r3',
      'r4 = *(u64 *)(r10 -8)', 'r4 += r0', '*(u64 *)(r10 -8) = r4',
      `if r4 > ${(i * 7919) % 1000} goto b${i}`, 'r0 ^= 0x55', `b${i}:`, 'r0 >>= 1',
    );
  }
  lines.push('exit');
  const a = assemble(lines.join('\n'));
  return { name: 'big', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
}

export const suite: BenchSuite = async (opts: BenchOptions): Promise<BenchRow[]> => {
  const iter = opts.quick ? 2000 : 10000;
  const rounds = opts.quick ? 3 : 9;
  const warmMs = opts.quick ? 300 : 1500;
  const kernelRepeat = opts.quick ? 200 : 2000;
  const { kernel, why } = await loadKernel();
  const rows: BenchRow[] = [];
  const input = { packet: new Uint8Array(64) };

  for (const { name, text } of programs(iter)) {
    const a = assemble(text);
    const program: Program = { name, section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
    // executed instructions per run: the VM counts them (the trusted JIT does not count)
    const vm = new Vm(program, { maxSteps: 1e9 });
    const steps = vm.run(input).steps;
    const warmVm = Date.now() + warmMs / 3;
    while (Date.now() < warmVm) vm.run(input);
    const vmNs = measure(() => { vm.run(input); return steps; }, rounds);

    let kernelNs: number | undefined;
    let kernelNote = `no kernel anchor: ${why}`;
    if (kernel) {
      let k = kernel.runInKernel(program, { data: new Uint8Array(64), repeat: kernelRepeat, logLevel: 1, dumpMaps: false });
      if (!k.run) k = kernel.runInKernel(program, { data: new Uint8Array(64), repeat: kernelRepeat, logLevel: 1, dumpMaps: false });
      if (k.run && k.load.verdict === 'accept') kernelNs = k.run.durationNs / steps;
      else kernelNote = `kernel refused the program: ${k.load.errno ?? ''}`;
    }

    for (const mode of ['trusted', 'checked'] as JitMode[]) {
      const jit = new Jit(program, { mode, maxSteps: 1e9 });
      const reps = Math.max(1, Math.round(200_000 / steps));
      const warm = Date.now() + warmMs;
      while (Date.now() < warm) jit.runRepeated(input, reps);
      const check = jit.run(input);
      if (check.fault || check.error) throw new Error(`bench ${name} (${mode}): ${check.fault?.message ?? check.error?.message}`);
      const ns = measure(() => { jit.runRepeated(input, reps); return reps * steps; }, rounds);
      opts.progress(`${name}: jit ${mode} ${ns.toFixed(3)} ns/insn, vm ${vmNs.toFixed(2)}, kernel ${kernelNs?.toFixed(3) ?? '-'}`);
      const row: BenchRow = { group: 'jit', name: `${name} (${mode})`, value: ns, unit: 'ns/insn',
        note: `vm ${vmNs.toFixed(2)} ns/insn in this run (JIT ${(vmNs / ns).toFixed(0)}x faster); ${steps} insns/run` };
      if (kernelNs !== undefined) { row.anchor = 'kernel JIT'; row.anchorValue = kernelNs; row.ratio = ns / kernelNs; }
      else row.note = `${kernelNote}; ${row.note}`;
      rows.push(row);
    }
  }

  // Compile time and code size on a large program (~4,000 instructions).
  const big = bigProgram(opts.quick ? 100 : 330);
  const n = big.insns.length;
  let kernelLoadMs: number | undefined;
  if (kernel) {
    const l = kernel.progLoad(big, { logLevel: 0 });
    if (l.fd !== null) { kernel.closeFd(l.fd); kernelLoadMs = l.ms; }
  }
  for (const mode of ['trusted', 'checked'] as JitMode[]) {
    const gen: number[] = [], total: number[] = [];
    let bytes = 0;
    for (let i = 0; i < (opts.quick ? 3 : 7); i++) {
      // a fresh copy each time: the runtime caches by program object
      const j = new Jit({ ...big, insns: big.insns.map(copyInsn) }, { mode });
      gen.push(j.stats.genMs);
      total.push(j.stats.compileMs);
      bytes = j.stats.wasmBytes;
    }
    const per1k = (median(total) * 1000) / n;
    const row: BenchRow = { group: 'jit', name: `compile (${mode})`, value: per1k, unit: 'ms/1k insns',
      note: `${n} insns: wasm generation ${median(gen).toFixed(2)} ms + V8 baseline compile/instantiate; ${bytes} bytes of wasm (${(bytes / n).toFixed(1)} B/insn); V8's optimising tier runs later in the background` };
    if (kernelLoadMs !== undefined) { row.anchor = 'kernel load (verifier + JIT)'; row.anchorValue = (kernelLoadMs * 1000) / n; row.ratio = per1k / row.anchorValue; }
    rows.push(row);
    opts.progress(`compile ${mode}: ${per1k.toFixed(3)} ms per 1000 insns, ${bytes} bytes`);
  }
  return rows;
};

export default suite;
