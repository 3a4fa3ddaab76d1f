/**
 * VM rows of the benchmark table (SPEC section 5): ns per executed instruction on an ALU loop, a
 * memory (stack) loop and a map-heavy loop, each beside the kernel JIT running the same program
 * through BPF_PROG_TEST_RUN in the same process, reported as a ratio.
 */
import { assemble } from '../isa/asm/index.js';
import type { Program } from '../isa/program.js';
import { Vm } from '../vm/index.js';
import { benchPrograms as programs, median } from './loops.js';
import type { BenchOptions, BenchRow, BenchSuite } from './types.js';

export const suite: BenchSuite = async (opts: BenchOptions): Promise<BenchRow[]> => {
  const iter = opts.quick ? 2000 : 10000;
  const vmRounds = opts.quick ? 3 : 9;
  const kernelRepeat = opts.quick ? 200 : 2000;
  let kernel: typeof import('../kernel/index.js') | null = null;
  let why = '';
  try {
    kernel = await import('../kernel/index.js');
    const a = kernel.kernelAvailable();
    if (!a.ok) { why = a.reason; kernel = null; }
  } catch (e) { why = (e as Error).message; kernel = null; }
  const rows: BenchRow[] = [];
  for (const { name, text } of programs(iter)) {
    const a = assemble(text);
    const program: Program = { name, section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
    const vm = new Vm(program, { maxSteps: 1e9 });
    const input = { packet: new Uint8Array(64) };
    let steps = 0;
    // warm up until V8 has optimised the interpreter and the helpers (~0.3 s)
    const warm = Date.now() + (opts.quick ? 200 : 1000);
    while (Date.now() < warm) steps = vm.run(input).steps;
    // CPU time, not wall time: these machines are shared, and BPF_PROG_TEST_RUN's duration also
    // excludes time the task was scheduled out. Each sample runs for >= 20 ms.
    const samples: number[] = [];
    for (let i = 0; i < vmRounds; i++) {
      const c0 = process.cpuUsage();
      const t0 = Date.now();
      let insns = 0;
      do {
        const r = vm.run(input);
        if (r.fault || r.error) throw new Error(`bench ${name}: ${r.fault?.message ?? r.error?.message}`);
        insns += r.steps;
      } while (Date.now() - t0 < 20);
      const c = process.cpuUsage(c0);
      samples.push(((c.user + c.system) * 1000) / insns);
    }
    const value = median(samples);
    opts.progress(`${name}: vm ${value.toFixed(2)} ns/insn over ${steps} insns`);
    const row: BenchRow = { group: 'vm', name, value, unit: 'ns/insn' };
    if (kernel) {
      let k = kernel.runInKernel(program, { data: new Uint8Array(64), repeat: kernelRepeat, logLevel: 1, dumpMaps: false });
      if (!k.run) k = kernel.runInKernel(program, { data: new Uint8Array(64), repeat: kernelRepeat, logLevel: 1, dumpMaps: false }); // once more: loads can fail transiently (ENOMEM) on a busy host
      if (k.run && k.load.verdict === 'accept') {
        const kns = k.run.durationNs / steps;
        row.anchor = 'kernel JIT';
        row.anchorValue = kns;
        row.ratio = value / kns;
        opts.progress(`${name}: kernel ${kns.toFixed(3)} ns/insn`);
      } else row.note = `kernel refused the program: ${k.load.errno ?? ''} ${k.load.log.trim().split('\n').filter((l) => !/^(processed|stack depth|verification time|\d+: )/.test(l)).at(-1) ?? ''}`.trim();
    } else row.note = `no kernel anchor: ${why}`;
    rows.push(row);
  }
  return rows;
};

export default suite;
