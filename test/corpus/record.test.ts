/**
 * Expectations a CI can own: `corpus record` writes per-program sidecars, `corpus check` reads
 * them back (also on multi-program objects), checks r0 on the VM, `--update` refreshes, and
 * `--junit` writes one test case per program.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkEntry, parseSidecar, readEntry } from '../../src/corpus/index.js';
import { main } from '../../src/cli/main.js';
import { diskIo } from '../batch/helpers.js';

const root = resolve(import.meta.dirname, '../..');
const multi = resolve(root, '../shared/corpus-samples/cilium-examples/tcx_bpf_bpfel.o');
let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); dir = ''; });

function fresh(files: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'bpflab-corpus-'));
  for (const f of files) copyFileSync(f, join(dir, f.slice(f.lastIndexOf('/') + 1)));
  return dir;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; files: Map<string, Uint8Array> }> {
  const io = diskIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr, files: io.files };
}

describe('corpus record and check', () => {
  it('round-trips on a fresh folder of objects, per program', async () => {
    const d = fresh(['corpus/c/ringbuf_leak.o', 'corpus/c/bpf2bpf_call.o', 'corpus/c/map_lookup_nocheck.o', 'corpus/verifier/packet/meta.s'].map((f) => resolve(root, f)));
    const rec = await cli('corpus', 'record', d);
    expect(rec.code).toBe(0);
    expect(rec.out).toContain('4 sidecars recorded');
    const sc = parseSidecar('x', readFileSync(join(d, 'ringbuf_leak.expect.json'), 'utf8'));
    expect(sc.programs!['tracepoint/syscalls/sys_enter_openat/ringbuf_leak']).toMatchObject({ verdict: 'reject', kind: 'reference_leak', message: 'Unreleased reference id=2 alloc_insn=4' });
    expect(parseSidecar('x', readFileSync(join(d, 'bpf2bpf_call.expect.json'), 'utf8')).programs!['xdp/bpf2bpf_call']).toMatchObject({ verdict: 'accept', r0: '1' });
    const check = await cli('corpus', 'check', d);
    expect(check.out).toBe('4 passed, 0 failed\n');
    expect(check.code).toBe(0);
  });

  it.skipIf(!existsSync(multi))('keys expectations by section/function in a multi-program object', async () => {
    const d = fresh([multi]);
    expect((await cli('corpus', 'record', d)).code).toBe(0);
    const sc = parseSidecar('x', readFileSync(join(d, 'tcx_bpf_bpfel.expect.json'), 'utf8'));
    expect(Object.keys(sc.programs!).sort()).toEqual(['tc/egress_prog_func', 'tc/ingress_prog_func']);
    // One program's expectation changed: only that program fails, by name.
    const text = readFileSync(join(d, 'tcx_bpf_bpfel.expect.json'), 'utf8');
    const o = JSON.parse(text) as { programs: Record<string, { verdict: string }> };
    const flipped = o.programs['tc/egress_prog_func']!.verdict === 'accept' ? 'reject' : 'accept';
    o.programs['tc/egress_prog_func']!.verdict = flipped;
    writeFileSync(join(d, 'tcx_bpf_bpfel.expect.json'), JSON.stringify(o));
    const r = await checkEntry(readEntry(join(d, 'tcx_bpf_bpfel.o'))!, false);
    expect(r.ok).toBe(false);
    expect(r.programs!.map((p) => [p.key, p.ok])).toEqual([['tc/ingress_prog_func', true], ['tc/egress_prog_func', false]]);
    expect(r.problems[0]).toMatch(/^tc\/egress_prog_func: expected /);
  });

  it('pins load options: --strict-alignment is recorded, checked with, and kept by --update; bad options are located', async () => {
    const d = fresh([resolve(root, 'corpus/verifier/packet/strict-align-misaligned.s')]);
    const side = join(d, 'strict-align-misaligned.expect.json');
    // without the flag x86-64 accepts the unaligned read
    expect((await cli('corpus', 'record', d)).code).toBe(0);
    expect(parseSidecar('x', readFileSync(side, 'utf8')).programs!['strict-align-misaligned']).toMatchObject({ verdict: 'accept' });
    expect((await cli('corpus', 'record', d, '--strict-alignment')).code).toBe(0);
    const x = parseSidecar('x', readFileSync(side, 'utf8')).programs!['strict-align-misaligned']!;
    expect(x).toMatchObject({ verdict: 'reject', kind: 'misaligned', options: { strictAlignment: true } });
    expect(x.message).toMatch(/^misaligned packet access off 2\+0\+0\+27 size 4/);
    expect((await cli('corpus', 'check', d)).out).toBe('1 passed, 0 failed\n');
    // a later record without the flag keeps what the entry pins
    await cli('corpus', 'record', d);
    expect(parseSidecar('x', readFileSync(side, 'utf8')).programs!['strict-align-misaligned']).toMatchObject({ verdict: 'reject', options: { strictAlignment: true } });
    writeFileSync(side, readFileSync(side, 'utf8').replace('"strictAlignment":true', '"strictAlign":true'));
    const bad = await cli('corpus', 'check', d);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/strict-align-misaligned\.expect\.json: programs\["strict-align-misaligned"\]: unknown option "strictAlign"/);
  });

  it('checks r0 on the VM (a wrong r0 fails), and --update refreshes it', async () => {
    const d = fresh([resolve(root, 'corpus/c/bpf2bpf_call.o')]);
    await cli('corpus', 'record', d);
    const p = join(d, 'bpf2bpf_call.expect.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"r0":"1"', '"r0":"12345"'));
    const bad = await cli('corpus', 'check', d, '--junit', 'out.xml');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('expected r0 12345, got 1');
    const xml = new TextDecoder().decode(bad.files.get('out.xml'));
    expect(xml).toMatch(/<testsuite name="bpflab corpus" tests="1" failures="1"/);
    expect(xml).toMatch(/<testcase classname="[^"]*bpf2bpf_call\.o" name="xdp\/bpf2bpf_call" time="[\d.]+"><failure message="expected r0 12345, got 1"/);
    const upd = await cli('corpus', 'check', d, '--update');
    expect(upd.out).toMatch(/UPDATED .*bpf2bpf_call\.o: expected r0 12345, got 1\n0 passed, 0 failed, 1 updated\n/);
    expect((await cli('corpus', 'check', d)).out).toBe('1 passed, 0 failed\n');
  });

  it('still reads the old per-file form, and checks its r0 with the entry\'s input', async () => {
    const d = fresh([resolve(root, 'corpus/c/bpf2bpf_call.o')]);
    writeFileSync(join(d, 'bpf2bpf_call.expect.json'), JSON.stringify({ verdict: 'accept', r0: '1', why: 'old form' }));
    expect((await cli('corpus', 'check', d)).out).toBe('1 passed, 0 failed\n');
    writeFileSync(join(d, 'bpf2bpf_call.expect.json'), JSON.stringify({ verdict: 'accept', r0: '7', why: 'old form' }));
    expect((await cli('corpus', 'check', d)).out).toContain('expected r0 7, got 1');
  });

  it('names the missing sidecar and how to create it', async () => {
    const d = fresh([resolve(root, 'corpus/c/bpf2bpf_call.o')]);
    const r = await cli('corpus', 'check', d);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bpf2bpf_call\.o: no sidecar .*bpf2bpf_call\.expect\.json \(create it with: bpflab corpus record /);
  });
});
