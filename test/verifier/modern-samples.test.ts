/**
 * The CI guard of the libbpf-era figures: over ../shared/modern-samples (bcc libbpf-tools,
 * libbpf-bootstrap, xdp-tools, cilium/ebpf examples, with the running kernel's verdict per
 * program), no object is refused whole, bpflab gives the kernel's verdict on at least 95 % of
 * the programs the kernel judged, and never accepts what the kernel rejects. The same figures,
 * with the misses listed: `node bench/modern-samples.js --verbose`.
 */
import { describe, expect, test } from 'vitest';
import { formatModern, haveModernSamples, measureModern } from '../../src/bench/modern.js';

const have = haveModernSamples();
if (!have) console.log('skip modern-samples agreement: no ../shared/modern-samples/kernel-verdicts.json');

describe.skipIf(!have)('modern-samples agreement', () => {
  test('no object refused whole, >= 95 % agreement, 0 accepted where the kernel rejects', async () => {
    const r = await measureModern();
    console.log(formatModern(r));
    expect(r.refusedWhole).toEqual([]);
    expect(r.acceptedWhereKernelRejects).toBe(0);
    expect(r.judged).toBeGreaterThan(400);
    expect(r.agree / r.judged).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
