/**
 * Calls as 6.18 bounds them: a recursive bpf-to-bpf call is a frame like any other (no check at
 * the call), so unbounded recursion stops at the frame limit while the path is explored, and
 * bounded recursion passes the exploration but not check_max_stack_depth's static walk over the
 * calls (8 frames). Where the running kernel is available, it agrees.
 */
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`call frames: no kernel comparison (${k.reason})`);

const CASES: Record<string, [string, string]> = {
  unbounded_recursion: [`
    .type tracepoint
      r1 = 0
      call sub
      r0 = 0
      exit
    sub:
      r1 += 1
      call sub
      r0 = 0
      exit`, 'the call stack of 9 frames is too deep'],
  bounded_recursion: [`
    .type tracepoint
      r1 = 0
      call sub
      exit
    sub:
      r1 += 1
      r0 = r1
      if r1 < 4 goto again
      exit
    again:
      call sub
      exit`, 'the call stack of 8 frames is too deep !'],
};

describe('recursive calls', () => {
  test('refused at the frame limit or by the static depth walk, with the kernel message', () => {
    for (const [name, [text, message]] of Object.entries(CASES)) {
      const p = loadAsmProgram(text, `${name}.s`, {});
      const r = verify(p);
      expect(r.verdict, name).toBe('reject');
      expect(r.error!.message, name).toBe(message);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, name).toBe('reject');
      expect(kr.log, name).toContain(message);
    }
  });
});
