/**
 * Mutation fuzzing of the text input formats through the CLI's main() (issue 17): assembly,
 * conformance .data files, hex packet files and corpus .expect.json sidecars. Each format gets
 * CASES_PER_FORMAT mutated inputs from real seeds; every outcome must keep the CLI's promise
 * (see mutate.ts). Prints cases and time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { rmSync } from 'node:fs';
import { CASES_PER_FORMAT, campaign, mutateText, scratchDir, writeScratch } from './mutate.js';

const root = (p: string) => new URL(`../../${p}`, import.meta.url);
const ASM = readdirSync(root('examples/')).filter((f) => f.endsWith('.s')).map((f) => readFileSync(root(`examples/${f}`), 'utf8'));
const ASM_WORDS = ['r0', 'w1', 'r10', '= ', '+= ', '*(u64 *)(r10 -8)', 'goto +1', 'goto -1', 'call 1', 'call bpf_map_lookup_elem', 'if r1 > 0x5 goto out', 'exit', 'map[counters]', 'map_value[counters] + 8', ' ll', 'lock ', '.map m hash key=4 value=8 entries=4294967295', '.map a array key=4 value=8 entries=1', '.type xdp', ':', 'out:', '0x', '-', '(s32)', 'be16 '];
const CONFORMANCE_DIR = new URL('../../../shared/conformance/', import.meta.url);
const DATA = readdirSync(CONFORMANCE_DIR).filter((f) => f.endsWith('.data')).slice(0, 60).map((f) => readFileSync(new URL(f, CONFORMANCE_DIR), 'utf8'));
const DATA_WORDS = ['-- asm', '-- raw', '-- mem', '-- result', '-- error', '-- mem @ ', '@ /etc/passwd', '@ ../x', '0x', 'mov %r0, 1', 'exit', 'ldxw %r0, [%r1+4]', 'aa bb', '0x0000:  0026 622f', '# comment'];
const HEX = ['ipv4-packet.hex', 'ipv6-packet.hex'].map((f) => readFileSync(root(`examples/${f}`), 'utf8'));
const HEX_WORDS = ['0x', ':', ',', 'zz', 'ff', '00', ' ', '\n', '0'];
/** A program that reads the packet, without maps: the packet file is what is being tested. */
const PROG = '.type xdp\nr2 = *(u32 *)(r1 +4)\nr1 = *(u32 *)(r1 +0)\nr0 = r2\nr0 -= r1\nexit\n';
const EXPECT = ['{"verdict":"accept","kernel":"accept","why":"bounded loop"}', '{"verdict":"reject","kind":"packet_oob","message":"invalid access to packet","why":"w"}', '{"verdict":"accept","r0":"2","why":"w"}'];
const EXPECT_WORDS = ['null', '{}', '[]', '"verdict"', '"kind"', '{"x":1}', '"accept"', '"reject"', ':', ',', '"r0":', '"12"', '1e999', '"\\u0000"', 'true'];

/** 10,000 cases of a format take a minute or two on a loaded 2-core machine. */
const TIMEOUT = 600_000;

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function report(format: string, r: { exits: Record<number, number>; ms: number }): void {
  console.log(`mutation ${format}: ${CASES_PER_FORMAT} cases in ${(r.ms / 1000).toFixed(1)} s, exits ${JSON.stringify(r.exits)}`);
  expect(Object.values(r.exits).reduce((a, b) => a + b, 0)).toBe(CASES_PER_FORMAT);
}

describe('mutated text inputs keep the CLI promise', () => {
  test('assembly (disasm: assemble and validate; every 10th verified)', async () => {
    report('asm', await campaign('asm', 1711, CASES_PER_FORMAT, (rng, i) => ({ argv: [i % 10 === 0 ? 'verify' : 'disasm', 'x.s'], file: 'x.s', files: { 'x.s': mutateText(rng.pick(ASM), rng, ASM_WORDS) } })));
  }, TIMEOUT);

  test('conformance .data (disasm; every 20th verified)', async () => {
    const dir = scratchDir();
    dirs.push(dir);
    writeScratch(dir, 'mem.hex', 'aa bb cc dd\n');
    const file = join(dir, 't.data');
    report('.data', await campaign('.data', 1712, CASES_PER_FORMAT, (rng, i) => ({ argv: [i % 20 === 0 ? 'verify' : 'disasm', file], file, files: { [file]: mutateText(rng.pick(DATA), rng, DATA_WORDS) } })));
  }, TIMEOUT);

  test('hex packet files (run --packet @FILE)', async () => {
    report('hex', await campaign('hex', 1713, CASES_PER_FORMAT, (rng) => ({ argv: ['run', 'p.s', '--no-verify', '--packet', '@pkt.hex'], file: 'pkt.hex', files: { 'p.s': PROG, 'pkt.hex': mutateText(rng.pick(HEX), rng, HEX_WORDS) } })));
  }, TIMEOUT);

  test('corpus .expect.json (corpus check)', async () => {
    const dir = scratchDir();
    dirs.push(dir);
    writeScratch(dir, 'a.s', 'r0 = 2\nexit\n');
    const file = join(dir, 'a.expect.json');
    report('.expect.json', await campaign('.expect.json', 1714, CASES_PER_FORMAT, (rng) => {
      writeScratch(dir, 'a.expect.json', mutateText(rng.pick(EXPECT), rng, EXPECT_WORDS));
      return { argv: ['corpus', 'check', dir], file };
    }));
  }, TIMEOUT);
});
