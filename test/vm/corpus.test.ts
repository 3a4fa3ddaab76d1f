/**
 * Every program of ../shared/corpus-samples that the kernel accepted runs on the checked VM on a
 * sample packet without a memory fault (the VM is the oracle that later catches unsound verdicts,
 * so a fault here is either a VM bug or a verifier-accepted out-of-bounds access).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ProgType } from '../../src/isa/program.js';
import { loadFile } from '../../src/loader/index.js';
import { Vm } from '../../src/vm/index.js';
import { udpPacket } from '../runtime/util.js';

const dir = fileURLToPath(new URL('../../../shared/corpus-samples/', import.meta.url));
const TYPES: Record<string, ProgType> = { SCHED_CLS: 'sched_cls', SOCKET_FILTER: 'socket_filter', XDP: 'xdp', KPROBE: 'kprobe', TRACEPOINT: 'tracepoint', RAW_TRACEPOINT: 'raw_tracepoint', CGROUP_SOCK: 'cgroup_sock', CGROUP_SOCK_ADDR: 'cgroup_sock_addr', SOCK_OPS: 'sock_ops' };

describe('kernel-accepted corpus programs on the VM', () => {
  it('run without memory faults', async () => {
    const rows = readFileSync(`${dir}kernel-verdicts.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const faults: string[] = [];
    const notRun: string[] = [];
    let ran = 0;
    const cache = new Map<string, Awaited<ReturnType<typeof loadFile>>>();
    for (const [obj, section, fn, ptype, , verdict] of rows) {
      const type = TYPES[ptype!];
      if (verdict !== 'accepted' || !type) continue;
      const key = `${obj}:${type}`;
      let progs = cache.get(key);
      if (!progs) {
        try { progs = await loadFile(obj!, new Uint8Array(readFileSync(dir + obj)), { type }); } catch (e) { notRun.push(`${obj}: ${(e as Error).message}`); continue; }
        cache.set(key, progs);
      }
      const p = progs.find((x) => x.name === fn) ?? progs.find((x) => x.section === section);
      if (!p) { notRun.push(`${obj}:${fn}: not found`); continue; }
      let vm: Vm;
      try { vm = new Vm(p, { maxSteps: 1_000_000 }); } catch (e) { notRun.push(`${obj}:${fn}: ${(e as Error).message}`); continue; }
      const r = vm.run({ packet: udpPacket(), kernelStack: [0xffffffff81000000n] });
      if (r.fault) faults.push(`${obj}:${fn}: ${r.fault.message}`);
      else if (r.error) notRun.push(`${obj}:${fn}: ${r.error.message}`);
      else ran++;
    }
    console.log(`corpus on the VM: ${ran} ran, ${faults.length} faulted, ${notRun.length} not run (${[...new Set(notRun.map((s) => s.replace(/^[^:]+:[^:]+: /, '').replace(/ at pc \d+/, '')))].join('; ')})`);
    expect(faults).toEqual([]);
    expect(ran).toBeGreaterThanOrEqual(189);
  }, 60_000);
});
