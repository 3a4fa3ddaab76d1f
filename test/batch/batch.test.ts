/**
 * `bpflab verify FILES|DIRS...` as veristat: columns, CSV, filters, sort, comparison with a
 * baseline (exit 1 on a verdict mismatch), the kernel's columns, worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseFilter, filterRows, globMatches, type BatchRow } from '../../src/batch/index.js';
import { main } from '../../src/cli/main.js';
import { loadObject } from '../../src/loader/open.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { diskIo } from './helpers.js';

const root = resolve(import.meta.dirname, '../..');
const cdir = resolve(root, 'corpus/c');
/** The objects of corpus/c and their programs (some objects hold several): the folder grows as entries are added. */
const cObjects = readdirSync(cdir).filter((f) => f.endsWith('.o')).map((f) => f.slice(0, -2));
const cPrograms = async (): Promise<{ file: string; prog: string }[]> =>
  (await Promise.all(cObjects.map(async (file) => (await loadObject(resolve(cdir, `${file}.o`))).programs.map((p) => ({ file, prog: p.name }))))).flat();
const VERISTAT = ['file_name', 'prog_name', 'verdict', 'duration', 'total_insns', 'total_states', 'peak_states', 'max_states_per_insn', 'mark_read'];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string; io: ReturnType<typeof diskIo> }> {
  const io = diskIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr, io };
}

describe('verify as a batch', () => {
  it('prints veristat\'s columns in CSV for every program of a folder', async () => {
    const r = await cli('verify', cdir, '--output', 'csv');
    const rows = parseCsv(r.out);
    expect(rows[0]).toEqual([...VERISTAT, 'error_kind']);
    expect(rows.length - 1).toBe((await cPrograms()).length);
    for (const row of rows.slice(1)) {
      expect(['success', 'failure']).toContain(row[2]);
      for (const n of row.slice(3, 9)) expect(n).toMatch(/^\d+$/);
      expect(row[9] === '').toBe(row[2] === 'success');
    }
    expect(rows.find((x) => x[1] === 'ringbuf_leak')![9]).toBe('reference_leak');
    expect(r.code).toBe(1); // some programs are rejected
  });

  it('prints an aligned table with veristat\'s headers and a closing count', async () => {
    const r = await cli('verify', resolve(cdir, 'xdp_eth_ok.o'), resolve(cdir, 'xdp_eth_off_by_one.o'), '-o', 'table');
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^File\s+Program\s+Verdict\s+Duration \(us\)\s+Total insns\s+Total states\s+Peak states\s+Max states per insn\s+Mark read\s+Error kind$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(r.out).toContain('Done. Processed 2 files, 2 programs: 1 success, 1 failure.');
  });

  it('picks, sorts and filters as veristat does (-e, -s, -f)', async () => {
    const r = await cli('verify', cdir, '-o', 'csv', '-e', 'prog,verdict,insns', '-s', 'insns:asc', '-f', 'verdict=failure');
    const rows = parseCsv(r.out);
    expect(rows[0]).toEqual(['prog_name', 'verdict', 'total_insns']);
    expect(rows.slice(1).every((x) => x[1] === 'failure')).toBe(true);
    const insns = rows.slice(1).map((x) => Number(x[2]));
    expect(insns).toEqual([...insns].sort((a, b) => a - b));
    const deny = parseCsv((await cli('verify', cdir, '-o', 'csv', '-e', 'prog', '-f', '!*ringbuf*', '-f', '!bounded_loop')).out);
    expect(deny.slice(1).map((x) => x[0])).not.toContain('ringbuf_leak');
    expect(deny.slice(1).map((x) => x[0])).not.toContain('bounded_loop');
    const kept = (await cPrograms()).filter(({ file, prog }) => ![file, prog].some((n) => n.includes('ringbuf') || n === 'bounded_loop'));
    expect(deny.length - 1).toBe(kept.length);
  });

  it('reads veristat\'s filter syntax', () => {
    const row = { file: 'a/x.o', program: 'p', verdict: 'success', totalInsns: 50 } as BatchRow;
    const keep = (f: string): boolean => filterRows([row], parseFilter(f)).length === 1;
    expect(keep('insns>10')).toBe(true);
    expect(keep('insns<10')).toBe(false);
    expect(keep('verdict==success')).toBe(true);
    expect(keep('x.o/p')).toBe(true);
    expect(keep('y.o/*')).toBe(false);
    expect(keep('!x*')).toBe(false);
    expect(globMatches('bpf_lxc.o', 'bpf_*.o')).toBe(true);
    expect(() => parseFilter('nosuchstat>3')).toThrow(/unrecognized stat name/);
  });

  it('compares with a baseline: MATCH when nothing changed, exit 1 naming a changed verdict', async () => {
    const base = (await cli('verify', cdir, '-o', 'csv')).out;
    // The baseline is read through the command's Io: keep it in memory.
    const io = diskIo();
    io.files.set('base.csv', new TextEncoder().encode(base));
    expect(await main(['verify', cdir, '--compare', 'base.csv', '-o', 'csv', '-e', 'file,prog,verdict,insns'], io)).toBe(0);
    const rows = parseCsv(io.stdout);
    expect(rows[0]).toEqual(['file_name', 'prog_name', 'verdict_base', 'verdict_comp', 'verdict_diff', 'total_insns_base', 'total_insns_comp', 'total_insns_diff']);
    expect(rows.slice(1).every((x) => x[4] === 'MATCH' && x[7] === '+0 (+0.00%)')).toBe(true);
    // One verdict flipped in the baseline.
    const lines = base.split('\n');
    const i = lines.findIndex((l) => l.includes(',bounded_loop,success,'));
    lines[i] = lines[i]!.replace(',success,', ',failure,');
    const io2 = diskIo();
    io2.files.set('base.csv', new TextEncoder().encode(lines.join('\n')));
    expect(await main(['verify', cdir, '--compare', 'base.csv'], io2)).toBe(1);
    expect(io2.stderr).toMatch(/verdict MISMATCH: .*bounded_loop\.o bounded_loop: baseline failure, now success/);
    expect(io2.stdout).toMatch(/Verdict \(A\)\s+Verdict \(B\)\s+Verdict \(DIFF\)/);
    expect(io2.stdout).toContain('MISMATCH');
  });

  it('joins a veristat baseline that names files by base name', async () => {
    const io = diskIo();
    io.files.set('v.csv', new TextEncoder().encode('file_name,prog_name,verdict,duration,total_insns,total_states,peak_states,max_states_per_insn,mark_read\nxdp_eth_ok.o,xdp_eth_ok,success,100,10,1,1,1,0\n'));
    expect(await main(['verify', resolve(cdir, 'xdp_eth_ok.o'), '--compare', 'v.csv', '-o', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.stdout) as { rows: Record<string, string>[]; mismatches: unknown[] };
    expect(doc.rows[0]!['verdict_diff']).toBe('MATCH');
    expect(doc.mismatches).toEqual([]);
  });

  it('compares two results files without verifying (veristat -C)', async () => {
    const io = diskIo();
    const header = 'file_name,prog_name,verdict,total_insns\n';
    io.files.set('a.csv', new TextEncoder().encode(header + 'x.o,p,success,100\nx.o,q,success,10\n'));
    io.files.set('b.csv', new TextEncoder().encode(header + 'x.o,p,success,150\nx.o,q,failure,10\n'));
    expect(await main(['verify', 'b.csv', '--compare', 'a.csv', '-o', 'csv', '-e', 'file,prog,verdict,insns'], io)).toBe(1);
    expect(parseCsv(io.stdout).slice(1)).toEqual([
      ['x.o', 'p', 'success', 'success', 'MATCH', '100', '150', '+50 (+50.00%)'],
      ['x.o', 'q', 'success', 'failure', 'MISMATCH', '10', '10', '+0 (+0.00%)'],
    ]);
    expect(io.stderr).toContain('verdict MISMATCH: x.o q: baseline success, now failure');
  });

  it('refuses a baseline that is not veristat CSV, naming file and line', async () => {
    const io = diskIo();
    io.files.set('bad.csv', new TextEncoder().encode('file_name,prog_name,bogus\n'));
    expect(await main(['verify', cdir, '--compare', 'bad.csv'], io)).toBe(2);
    expect(io.stderr).toBe("bpflab: bad.csv:1: unrecognized stat name 'bogus' in column 3\n");
  });

  it('keeps the single-file --json document of SPEC section 4', async () => {
    const r = await cli('verify', resolve(cdir, 'xdp_eth_off_by_one.o'), '--json');
    const doc = JSON.parse(r.out) as { file: string; programs: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(['file', 'programs']);
    expect(Object.keys(doc.programs[0]!)).toEqual(['name', 'section', 'type', 'insns', 'verdict', 'error', 'processed', 'states', 'ms']);
    expect(r.code).toBe(1);
  });

  it('turns a file that does not load into a failing row and goes on', async () => {
    const io = diskIo();
    expect(await main(['verify', resolve(root, 'README.md'), resolve(cdir, 'xdp_eth_ok.o'), '-o', 'csv', '-e', 'prog,verdict,error_kind'], io)).toBe(1);
    expect(parseCsv(io.stdout).slice(1)).toEqual([['-', 'failure', 'load'], ['xdp_eth_ok', 'success', '']]);
  });

  it.skipIf(!kernelAvailable().ok)('puts the kernel\'s columns beside bpflab\'s (--kernel)', async () => {
    const r = await cli('verify', cdir, '-o', 'csv', '--kernel');
    const rows = parseCsv(r.out);
    expect(rows[0]!.slice(10)).toEqual(['kernel_verdict', 'kernel_duration', 'kernel_total_insns', 'kernel_total_states', 'kernel_peak_states', 'kernel_max_states_per_insn', 'kernel_mark_read']);
    const ok = rows.find((x) => x[1] === 'xdp_eth_ok')!;
    expect(ok[10]).toBe('success');
    expect(Number(ok[12])).toBeGreaterThan(0);
    expect(rows.find((x) => x[1] === 'ringbuf_leak')![10]).toBe('failure');
  });

  it.skipIf(!existsSync(resolve(root, 'dist/batch/worker.js')))('gives the same rows on worker threads (--jobs 2)', () => {
    const run = (...extra: string[]): string[][] => {
      const r = spawnSync(process.execPath, [resolve(root, 'bin/bpflab.js'), 'verify', cdir, '-o', 'csv', '-e', 'file,prog,verdict,insns,states,error_kind', ...extra], { encoding: 'utf8' });
      return parseCsv(r.stdout);
    };
    expect(run('--jobs', '2')).toEqual(run());
  });
});
