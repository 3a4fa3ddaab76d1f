/**
 * Differential test against the running kernel's verifier: 5,000 random plausible programs
 * through both. Fails on any program bpflab accepts that the kernel rejects for a safety
 * reason (a soundness bug); reports, and tolerates below 10 %, programs the kernel accepts
 * that bpflab rejects (imprecision, and bpflab's deliberate rejection of uninitialised stack reads).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeFd, createProgramMaps, kernelAvailable, progLoad, type KernelMap } from '../../src/kernel/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';
import { GEN_MAP, programArb } from './gen-programs.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the differential verifier test: ${avail.reason}`);

/** Kernel rejections that are about exploration budget, not about safety. */
const NOT_SAFETY = /too large|too complex|infinite loop|combined stack size/;

describe.skipIf(!avail.ok)('bpflab vs the kernel verifier on random programs', () => {
  let maps: KernelMap[] = [];
  beforeAll(() => {
    maps = createProgramMaps({ name: 'maps', section: '', type: 'xdp', insns: [], maps: [GEN_MAP], license: 'GPL' });
  });
  afterAll(() => { for (const m of maps) m.close(); });

  it('never accepts what the kernel rejects for safety; rarely rejects what it accepts', () => {
    let runs = 0;
    let bothAccept = 0;
    let bothReject = 0;
    const stricter: string[] = [];
    const kinds = new Map<string, number>();
    const kernelOnly = (p: Program) => {
      const r = progLoad(p, { logLevel: 0, maps: p.maps.length ? maps : [] });
      if (r.fd !== null) closeFd(r.fd);
      return r;
    };
    fc.assert(
      fc.property(programArb, (p) => {
        runs++;
        const mine = verify(p);
        const k = kernelOnly(p);
        if (mine.verdict === 'accept' && k.verdict === 'reject') {
          const msg = firstKernelError(k.log);
          if (NOT_SAFETY.test(msg)) return true;
          throw new Error(`bpflab accepts a program the kernel rejects: ${msg}\n${JSON.stringify(p.insns)}`);
        }
        if (mine.verdict === 'reject' && k.verdict === 'accept') {
          stricter.push(`${mine.error!.kind}: ${mine.error!.message}`);
          kinds.set(mine.error!.kind, (kinds.get(mine.error!.kind) ?? 0) + 1);
        } else if (mine.verdict === 'accept') bothAccept++;
        else bothReject++;
        return true;
      }),
      { numRuns: 5000, seed: 0x6b6572 },
    );
    const rate = stricter.length / (bothAccept + stricter.length);
    console.log(`differential: ${runs} programs; both accept ${bothAccept}, both reject ${bothReject}, ` +
      `kernel-only accept ${stricter.length} (${(rate * 100).toFixed(1)}% of kernel-accepted): ` +
      [...kinds].map(([k, n]) => `${k} ${n}`).join(', '));
    expect(runs).toBe(5000);
    expect(bothAccept).toBeGreaterThan(250);
    expect(rate).toBeLessThan(0.1);
  });
});
