import { describe, expect, it } from 'vitest';
import { Vm } from '../../src/vm/index.js';
import { vmEngine } from '../../src/fuzz/engines.js';
import { prog } from '../runtime/util.js';

describe('RunInput.outputs = false: the run without its packet and ctx copied out', () => {
  // writes the packet's first byte and skb->mark, returns the packet length
  const tc = prog(`.type sched_cls
    r2 = *(u32 *)(r1 + 76)
    r3 = *(u32 *)(r1 + 80)
    r0 = r3
    r0 -= r2
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    r5 = 0xab
    *(u8 *)(r2 + 0) = r5
  out:
    r6 = 7
    *(u32 *)(r1 + 8) = r6
    exit`);
  const packet = new Uint8Array(64).fill(1);

  it('ends as the full run does, leaving out only packet and ctx', () => {
    const vm = new Vm(tc);
    const full = vm.run({ packet });
    const bare = vm.run({ packet, outputs: false });
    expect(full.packet?.[0]).toBe(0xab);
    expect(full.ctx).toBeDefined();
    expect(bare.packet).toBeUndefined();
    expect(bare.ctx).toBeUndefined();
    expect({ r0: bare.r0, steps: bare.steps, fault: bare.fault, error: bare.error }).toEqual({ r0: full.r0, steps: full.steps, fault: full.fault, error: full.error });
    expect(bare.r0).toBe(64n);
  });

  it('the VM engine passes EngineOptions.outputs on (the sanitizer reads neither)', () => {
    const ci = { packet, fills: [], seed: 1 };
    const full = vmEngine(tc, ci, { maxSteps: 1000 });
    const bare = vmEngine(tc, ci, { maxSteps: 1000, outputs: false });
    expect(full.ok && bare.ok).toBe(true);
    if (!full.ok || !bare.ok) return;
    expect(full.res.packet?.[0]).toBe(0xab);
    expect(bare.res.packet).toBeUndefined();
    expect(bare.res.r0).toBe(full.res.r0);
  });
});
