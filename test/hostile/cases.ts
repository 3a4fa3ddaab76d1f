/**
 * The hand-made hostile inputs of issue 17, each as files in a scratch folder plus the command
 * line to run on them and what the outcome must be. test/hostile/regressions.test.ts runs each
 * through the built CLI in a child process under a 5 s / 512 MB watchdog.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BTF_KIND, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT, STT, buildBtf, buildElf, programObject, RETURN_ZERO } from './build.js';

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HostileCase {
  name: string;
  /** Writes the inputs into `dir` and returns the argv (paths relative to `dir`, the child's cwd). */
  setup(dir: string): string[];
  check(o: Outcome): void;
  /** Why the case cannot pass yet (the test is skipped, printing this). */
  pending?: string;
}

/** The CLI's promise for bad input: exit 2, one printable line on stderr, no internal error. */
export function badInput(o: Outcome, mentions: RegExp): void {
  expectPrintableLine(o.stderr);
  if (o.code !== 2) throw new Error(`exit ${o.code}, expected 2; stderr: ${o.stderr}`);
  if (!mentions.test(o.stderr)) throw new Error(`stderr does not match ${mentions}: ${o.stderr}`);
}

export function expectPrintableLine(stderr: string): void {
  if (/internal error|\n\s+at /.test(stderr)) throw new Error(`internal error or stack trace: ${stderr.slice(0, 400)}`);
  const lines = stderr.split('\n');
  if (lines.length !== 2 || lines[1] !== '') throw new Error(`expected one stderr line, got ${lines.length - 1}: ${stderr.slice(0, 400)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b-\x1f\x7f\x9b]/.test(stderr)) throw new Error(`control characters on stderr: ${JSON.stringify(stderr.slice(0, 200))}`);
  if (stderr.length > 1200) throw new Error(`stderr line is ${stderr.length} characters`);
}

function must(cond: boolean, what: string, o: Outcome): void {
  if (!cond) throw new Error(`${what}; exit ${o.code}; stdout: ${o.stdout.slice(0, 300)}; stderr: ${o.stderr.slice(0, 300)}`);
}

const DATA_PROG = '-- asm\nmov %r0, 1\nexit\n';

function dataCase(name: string, body: (dir: string) => string, extraArgs: string[], check: (o: Outcome) => void, command = 'run'): HostileCase {
  return {
    name,
    setup(dir) {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 't.data'), body(dir));
      return command === 'conformance' ? ['conformance', 'd/t.data', ...extraArgs] : [command, 'd/t.data', ...extraArgs];
    },
    check,
  };
}

/** The BTF type cycle: PTR [2] -> FUNC_PROTO [3] whose four parameters are [2] again, used as a map key. */
function btfCycleObject(): Uint8Array {
  const btf = buildBtf([
    { kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] }, // [1]
    { kind: BTF_KIND.PTR, sizeOrType: 3 }, // [2] -> [3]
    { kind: BTF_KIND.FUNC_PROTO, vlen: 4, sizeOrType: 1, extra: ['a', 2, 'b', 2, 'c', 2, 'd', 2] }, // [3] int (*)([2], [2], [2], [2])
    { kind: BTF_KIND.PTR, sizeOrType: 2 }, // [4] key pointer
    { kind: BTF_KIND.ARRAY, sizeOrType: 0, extra: [1, 1, 1] }, // [5] int[1] (type = HASH)
    { kind: BTF_KIND.PTR, sizeOrType: 5 }, // [6]
    { kind: BTF_KIND.PTR, sizeOrType: 1 }, // [7] value pointer
    { kind: BTF_KIND.ARRAY, sizeOrType: 0, extra: [1, 1, 4] }, // [8] int[4] (max_entries)
    { kind: BTF_KIND.PTR, sizeOrType: 8 }, // [9]
    { kind: BTF_KIND.STRUCT, name: '', vlen: 4, sizeOrType: 32, extra: ['type', 6, 0, 'key', 4, 64, 'value', 7, 128, 'max_entries', 9, 192] }, // [10]
    { kind: BTF_KIND.VAR, name: 'm', sizeOrType: 10, extra: [1] }, // [11]
    { kind: BTF_KIND.DATASEC, name: '.maps', vlen: 1, sizeOrType: 32, extra: [11, 0, 32] }, // [12]
    { kind: BTF_KIND.FUNC_PROTO, vlen: 1, sizeOrType: 1, extra: ['ctx', 2] }, // [13]
    { kind: BTF_KIND.FUNC, name: 'prog', vlen: 1, sizeOrType: 13 }, // [14]
  ]);
  return programObject(
    [{ name: '.maps', type: SHT.PROGBITS, flags: SHF_ALLOC | SHF_WRITE, data: new Uint8Array(32) }, { name: '.BTF', type: SHT.PROGBITS, data: btf }],
    [{ name: 'm', shndx: 3, size: 32, type: STT.OBJECT }],
  );
}

/** `n` one-function program sections. */
function manySections(n: number): Uint8Array {
  const sections = [];
  const symbols = [];
  for (let i = 0; i < n; i++) {
    sections.push({ name: `socket/f${i}`, type: SHT.PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, data: RETURN_ZERO });
    symbols.push({ name: `f${i}`, shndx: i + 1, size: 16, type: STT.FUNC });
  }
  return buildElf(sections, symbols);
}

/** A straight-line program of `n` instructions that the verifier rejects at the end (r2 is never written). */
function longRejected(n: number): string {
  const lines = ['r0 = 0'];
  for (let i = 0; i < n - 3; i++) lines.push('r0 += 1');
  lines.push('r0 += r2', 'exit');
  return lines.join('\n') + '\n';
}

function mapProgram(decl: string): string {
  return `${decl}\n    r0 = 0\n    exit\n`;
}

const ENV_SECRET = 'BPFLAB_HOSTILE_SECRET=hunter2';

export const CASES: HostileCase[] = [
  // 1. File-access policy for `-- NAME @ FILE`.
  dataCase('data @ /proc/self/environ is refused', () => `${DATA_PROG}-- result @ /proc/self/environ\n`, [], (o) => {
    badInput(o, /d\/t\.data:4: .*\/proc\/self\/environ.*outside/);
    must(!o.stderr.includes('hunter2') && !o.stdout.includes('hunter2'), 'environment echoed', o);
  }),
  dataCase('data @ /proc/self/environ is refused by conformance', () => `${DATA_PROG}-- result @ /proc/self/environ\n`, [], (o) => {
    must(o.code === 1 && /FAIL d\/t\.data: d\/t\.data:4: .*outside/.test(o.stdout), 'a located FAIL line', o);
    must(!o.stdout.includes('hunter2') && !o.stderr.includes('hunter2'), 'environment echoed', o);
  }, 'conformance'),
  dataCase('data @ /etc/shadow is refused', () => `${DATA_PROG}-- result @ /etc/shadow\n`, [], (o) => badInput(o, /d\/t\.data:4: .*outside/)),
  dataCase('data @ /dev/zero is refused even when outside files are allowed', () => `${DATA_PROG}-- mem @ /dev/zero\n`, ['--allow-outside-files'], (o) => badInput(o, /d\/t\.data:4: .*\/dev\/zero.*not a regular file/)),
  dataCase('data @ a symlink to /dev/zero is refused', (dir) => { symlinkSync('/dev/zero', join(dir, 'd', 'zero')); return `${DATA_PROG}-- mem @ zero\n`; }, [], (o) => badInput(o, /d\/t\.data:4: .*zero/)),
  dataCase('data @ a FIFO does not hang', (dir) => { execFileSync('mkfifo', [join(dir, 'd', 'fifo')]); return `${DATA_PROG}-- mem @ fifo\n`; }, [], (o) => badInput(o, /d\/t\.data:4: .*fifo.*not a regular file/)),
  dataCase('data @ ../FILE is refused', (dir) => { writeFileSync(join(dir, 'secret'), '00\n'); return `${DATA_PROG}-- mem @ ../secret\n`; }, [], (o) => badInput(o, /d\/t\.data:4: .*\.\.\/secret.*outside/)),
  dataCase('data @ ../FILE is read with --allow-outside-files', (dir) => { writeFileSync(join(dir, 'secret'), '00\n'); return `${DATA_PROG}-- mem @ ../secret\n`; }, ['--allow-outside-files'], (o) => must(o.code === 0 && o.stdout === '1\n', 'r0 = 1', o)),
  dataCase('data @ a huge file is refused by size', (dir) => { writeFileSync(join(dir, 'd', 'big'), ''); truncateSync(join(dir, 'd', 'big'), 1 << 30); return `${DATA_PROG}-- mem @ big\n`; }, [], (o) => badInput(o, /d\/t\.data:4: .*big.*(larger|bytes)/)),
  dataCase('data @ a file beside it is read', (dir) => { writeFileSync(join(dir, 'd', 'mem.hex'), 'aa bb\n'); return `${DATA_PROG}-- mem @ mem.hex\n`; }, [], (o) => must(o.code === 0 && o.stdout === '1\n', 'r0 = 1', o)),
  { name: '--packet @FIFO does not hang', setup: (dir) => { writeFileSync(join(dir, 'p.s'), '.type xdp\nr0 = 2\nexit\n'); execFileSync('mkfifo', [join(dir, 'fifo')]); return ['run', 'p.s', '--packet', '@fifo']; }, check: (o) => badInput(o, /fifo.*not a regular file/) },
  { name: '--packet @/dev/zero is refused', setup: (dir) => { writeFileSync(join(dir, 'p.s'), '.type xdp\nr0 = 2\nexit\n'); return ['run', 'p.s', '--packet', '@/dev/zero']; }, check: (o) => badInput(o, /\/dev\/zero.*not a regular file/) },

  // 2. BTF type cycle.
  ...['disasm', 'verify'].map((cmd): HostileCase => ({
    name: `BTF cycle through FUNC_PROTO parameters: ${cmd}`,
    setup: (dir) => { writeFileSync(join(dir, 'cycle.o'), btfCycleObject()); return [cmd, 'cycle.o']; },
    check: (o) => { expectNoInternal(o); must(o.code === 0, 'a normal verdict (exit 0)', o); must(o.stdout.length < 20_000, `short output (${o.stdout.length} characters)`, o); },
  })),

  // 3. Large maps.
  { name: 'prog_array of 2^32-1 entries: ENOMEM as the kernel', setup: (dir) => { writeFileSync(join(dir, 'm.s'), mapProgram('.map pa prog_array key=4 value=4 entries=4294967295')); return ['run', 'm.s']; }, check: (o) => badInput(o, /m\.s: map pa: .*ENOMEM/) },
  { name: 'array of 2^26 x 8 bytes runs (the kernel creates it)', setup: (dir) => { writeFileSync(join(dir, 'm.s'), '.map big array key=4 value=8 entries=67108864\n    *(u32 *)(r10 -4) = 0x3ffffff\n    r2 = r10\n    r2 += -4\n    r1 = map[big]\n    call bpf_map_lookup_elem\n    if r0 == 0x0 goto out\n    r1 = 7\n    *(u64 *)(r0 +0) = r1\n    r0 = *(u64 *)(r0 +0)\nout:\n    exit\n'); return ['run', 'm.s', '--map', 'big:00000000=0100000000000000']; }, check: (o) => must(o.code === 0 && o.stdout === '7\n', 'r0 = 7', o) },
  { name: 'array of 2^24 entries runs fast', setup: (dir) => { writeFileSync(join(dir, 'm.s'), mapProgram('.map a array key=4 value=8 entries=16777216')); return ['run', 'm.s', '--json']; }, check: (o) => must(o.code === 0 && JSON.parse(o.stdout).r0 === '0', 'r0 = 0', o) },
  { name: 'queue of 2^32-1 entries: ENOMEM as the kernel', setup: (dir) => { writeFileSync(join(dir, 'm.s'), mapProgram('.map q queue key=0 value=8 entries=4294967295')); return ['run', 'm.s']; }, check: (o) => badInput(o, /map q: .*ENOMEM/) },
  { name: 'devmap of 2^32-1 entries: ENOMEM as the kernel', setup: (dir) => { writeFileSync(join(dir, 'm.s'), '.type xdp\n' + mapProgram('.map dm devmap key=4 value=4 entries=4294967295')); return ['run', 'm.s']; }, check: (o) => badInput(o, /map dm: .*ENOMEM/) },
  {
    name: 'run --max-memory ends with a clear error',
    setup: (dir) => {
      const lookup = (i: number) => `    *(u32 *)(r10 -4) = ${i}\n    r2 = r10\n    r2 += -4\n    r1 = map[a]\n    call bpf_map_lookup_elem\n`;
      writeFileSync(join(dir, 'm.s'), `.map a array key=4 value=1048576 entries=64\n${lookup(0)}${lookup(1)}    r0 = 0\n    exit\n`);
      return ['run', 'm.s', '--max-memory', '1'];
    },
    check: (o) => badInput(o, /map a: .*memory budget of 1 MiB.*--max-memory/),
  },

  // 4. Long paths.
  ...['verify', 'explain', 'report', 'run', 'disasm'].map((cmd): HostileCase => ({
    name: `130,000-insn rejected straight-line program: ${cmd}`,
    setup: (dir) => { writeFileSync(join(dir, 'long.s'), longRejected(130_000)); return cmd === 'report' ? ['report', 'long.s', '-o', 'long.html'] : [cmd, 'long.s']; },
    // explain decides this path prefix by prefix (exit 1: a real rule violation) or says the bound it reached (exit 0).
    check: (o) => { expectNoInternal(o); must(o.code === 1 || ((cmd === 'disasm' || cmd === 'explain') && o.code === 0), 'a normal verdict', o); },
  })),

  {
    name: '20,000-branch chain on the JIT: a clear error, not a stack overflow',
    setup: (dir) => {
      const lines = ['r0 = 0'];
      for (let i = 0; i < 20_000; i++) lines.push('if r0 > 5 goto +1', 'r0 += 1');
      writeFileSync(join(dir, 'chain.s'), [...lines, 'exit'].join('\n') + '\n');
      return ['run', 'chain.s', '--engine', 'jit'];
    },
    check: (o) => badInput(o, /jit: control flow nested \d+ deep.*--engine vm/),
  },

  // 5. Located errors.
  { name: 'corpus check: .expect.json that is null', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.s'), 'r0 = 0\nexit\n'); writeFileSync(join(dir, 'c', 'a.expect.json'), 'null'); return ['corpus', 'check', 'c']; }, check: (o) => located(o, /c\/a\.expect\.json.*(object|null)/) },
  { name: 'corpus check: .expect.json with an object as kind', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.s'), 'r0 = 0\nexit\n'); writeFileSync(join(dir, 'c', 'a.expect.json'), '{"verdict":"reject","kind":{"x":1},"why":"w"}'); return ['corpus', 'check', 'c']; }, check: (o) => located(o, /c\/a\.expect\.json.*"kind"/) },
  { name: 'run with a map spec the kernel refuses', setup: (dir) => { writeFileSync(join(dir, 'm.s'), mapProgram('.map h hash key=0 value=8 entries=4')); return ['run', 'm.s']; }, check: (o) => badInput(o, /m\.s: map h: .*EINVAL/) },
  { name: 'symlink loop in a corpus folder', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.s'), 'r0 = 0\nexit\n'); writeFileSync(join(dir, 'c', 'a.expect.json'), '{"verdict":"accept","why":"w"}'); symlinkSync('loop', join(dir, 'c', 'loop')); return ['corpus', 'check', 'c']; }, check: (o) => located(o, /c\/loop.*(loop|ELOOP)/) },
  { name: 'symlink loop in a conformance folder', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.data'), DATA_PROG + '-- result\n0x1\n'); symlinkSync('loop.data', join(dir, 'c', 'loop.data')); return ['conformance', 'c']; }, check: (o) => located(o, /c\/loop\.data.*(loop|ELOOP)/) },
  { name: 'FIFO in a conformance folder does not hang', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.data'), DATA_PROG + '-- result\n0x1\n'); execFileSync('mkfifo', [join(dir, 'c', 'f.data')]); return ['conformance', 'c']; }, check: (o) => must(/1 passed/.test(o.stdout) && !/internal error/.test(o.stderr), 'the regular file runs, the FIFO is skipped or reported', o) },
  { name: 'FIFO in a corpus folder does not hang', setup: (dir) => { mkdirSync(join(dir, 'c')); writeFileSync(join(dir, 'c', 'a.s'), 'r0 = 0\nexit\n'); writeFileSync(join(dir, 'c', 'a.expect.json'), '{"verdict":"accept","why":"w"}'); execFileSync('mkfifo', [join(dir, 'c', 'f.s')]); return ['corpus', 'check', 'c']; }, check: (o) => must(/1 passed/.test(o.stdout) && !/internal error/.test(o.stderr), 'the regular entry runs, the FIFO is skipped or reported', o) },
  { name: 'terminal escapes in a file name are not echoed raw', setup: (dir) => { writeFileSync(join(dir, 'x\x1b[2K\rpassed.s'), 'r0 = bogus\n'); return ['verify', 'x\x1b[2K\rpassed.s']; }, check: (o) => badInput(o, /x\\x1b\[2K\\rpassed\.s/) },
  { name: 'terminal escapes in assembly text are not echoed raw', setup: (dir) => { writeFileSync(join(dir, 'e.s'), 'r0 = \x1b[2K\r10 passed, 0 failed\nexit\n'); return ['verify', 'e.s']; }, check: (o) => badInput(o, /e\.s:1/) },
  { name: 'a 1-million-digit immediate gives a short error', setup: (dir) => { writeFileSync(join(dir, 'big.s'), `r0 = ${'9'.repeat(1_000_000)}\nexit\n`); return ['verify', 'big.s']; }, check: (o) => badInput(o, /big\.s:1/) },
  { name: '65,000 sections load fast', setup: (dir) => { writeFileSync(join(dir, 'many.o'), manySections(65_000)); return ['verify', 'many.o', '--section', 'socket/f64999']; }, check: (o) => must(o.code === 0, 'accepted', o) },
  {
    name: 'disasm prints map and function names that asm accepts back',
    setup: (dir) => {
      const legacyMap = Buffer.alloc(20);
      legacyMap.writeUInt32LE(2, 0); // array
      legacyMap.writeUInt32LE(4, 4);
      legacyMap.writeUInt32LE(8, 8);
      legacyMap.writeUInt32LE(1, 12);
      writeFileSync(join(dir, 'n.o'), programObject([{ name: 'maps', type: SHT.PROGBITS, flags: SHF_ALLOC | SHF_WRITE, data: legacyMap }], [{ name: 'bad map\x1b[31m', shndx: 3, size: 20, type: STT.OBJECT }], 'bad name\x1b]0;x\x07', 'socket'));
      return ['disasm', 'n.o'];
    },
    check: (o) => {
      must(o.code === 0, 'exit 0', o);
      must(!/[\x00-\x08\x0b-\x1f\x7f]/.test(o.stdout), 'no control characters on stdout', o);
      must(o.stdout.split('\n').filter((l) => l.startsWith('.map ')).every((l) => /^\.map [A-Za-z_.$][\w.$]* /.test(l)), '.map directives name identifiers', o);
    },
  },
];

function expectNoInternal(o: Outcome): void {
  must(!/internal error|\n\s+at /.test(o.stderr), 'no internal error or stack trace', o);
}

/** A bad entry in a folder walk: reported by name (a FAIL line, or a one-line exit 2). */
function located(o: Outcome, mentions: RegExp): void {
  expectNoInternal(o);
  must(o.code === 1 || o.code === 2, 'exit 1 or 2', o);
  must(mentions.test(o.stdout + o.stderr), `output naming the entry (${mentions})`, o);
}

export { ENV_SECRET };
