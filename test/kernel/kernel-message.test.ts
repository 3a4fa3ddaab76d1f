/**
 * The kernel's message that `verify --kernel`, `corpus` and the batch columns show beside bpflab's
 * comes from a stats-only log (BPF_LOG_STATS): there the notes the verifier prints before its
 * error, "arg#0 reference type('UNKNOWN ') size cannot be determined" for a `void *ctx` main
 * program and "Validating f() func#N..." for a global function, are not the error. The same note
 * is the error when the kernel refuses a call of a global function for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { samplesDir } from '../../src/bench/verifier.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { kernelVerdict } from '../../src/kernel/verdict.js';
import { loadFile } from '../../src/loader/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';

const NOTE = "arg#0 reference type('UNKNOWN ') size cannot be determined: -22";
const STATS = 'verification time 53 usec\nstack depth 0+0\nprocessed 18 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0\n';

describe('firstKernelError on stats-only logs (6.18 logs of the programs below)', () => {
  test('the main program\'s argument note and a global function\'s start are not the error', () => {
    expect(firstKernelError(`${NOTE}\nUnreleased reference id=2 alloc_insn=4\nBPF_EXIT instruction in main prog would lead to reference leak\n${STATS}`))
      .toBe('Unreleased reference id=2 alloc_insn=4');
    expect(firstKernelError(`Validating add1() func#2...\nR1 invalid mem access 'mem_or_null'\n${STATS}`)).toBe("R1 invalid mem access 'mem_or_null'");
  });

  test('the note is the error when the call of a global function is refused for it', () => {
    expect(firstKernelError(`${NOTE}\nCaller passes invalid args into func#1 ('f')\n${STATS}`)).toBe(NOTE);
    // a `void *ctx` main program calling such a function: its own note first, the callee's second
    expect(firstKernelError(`${NOTE}\n${NOTE}\nCaller passes invalid args into func#1 ('f')\n${STATS}`)).toBe(NOTE);
    // a note and nothing else: the note
    expect(firstKernelError(`${NOTE}\n${STATS}`)).toBe(NOTE);
  });
});

const k = kernelAvailable();
if (!k.ok) console.log(`skip the kernel's message beside bpflab's: ${k.reason}`);

describe.skipIf(!k.ok)('verify --kernel shows the kernel\'s error, not its notes (live kernel)', () => {
  const cases: [string, string, Record<string, string>][] = [
    [resolve('corpus/c/ringbuf_leak.o'), 'Unreleased reference id=2 alloc_insn=4', {}],
    [resolve(samplesDir(), 'build/bpf2bpf.o'), "R1 invalid mem access 'mem_or_null'", { type: 'socket_filter' }],
  ];
  test.each(cases)('%s', async (file, message, opts) => {
    if (!existsSync(file)) { console.log(`skip: no ${file}`); return; }
    const [p] = await loadFile(file, new Uint8Array(readFileSync(file)), opts);
    const v = await kernelVerdict(p!);
    expect(v).toMatchObject({ verdict: 'reject', message });
  });
});
