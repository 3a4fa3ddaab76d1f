import { describe, expect, it } from 'vitest';
import { campaignTuning, tuneV8ForCampaign } from '../../src/fuzz/v8-tuning.js';

describe('V8 setting for campaigns (v8-tuning.ts)', () => {
  it('sets the smaller inlining budget for the first campaign and restores the default after the last, once each', () => {
    const applied: string[] = [];
    const t = campaignTuning((f) => applied.push(f), false);
    const a = t.acquire();
    const b = t.acquire();
    expect(applied).toEqual(['--max-inlined-bytecode-size-cumulative=300']);
    a();
    a(); // a second release of the same campaign does not count
    expect(applied).toHaveLength(1);
    b();
    expect(applied).toEqual(['--max-inlined-bytecode-size-cumulative=300', '--max-inlined-bytecode-size-cumulative=920']);
    t.acquire()();
    expect(applied).toHaveLength(4);
  });

  it('leaves a value the user gave node alone', () => {
    const applied: string[] = [];
    const t = campaignTuning((f) => applied.push(f), true);
    t.acquire()();
    expect(applied).toEqual([]);
  });

  it('sets the flag in this process without failing', () => {
    const release = tuneV8ForCampaign();
    expect(typeof release).toBe('function');
    release();
  });
});
