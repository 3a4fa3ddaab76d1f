// The running kernel's verdict on every program of WORKDIR/obj, each loaded alone as veristat
// does (libbpf opens the object, only that program is autoloaded, no test flags), written to
// WORKDIR/kernel-verdicts.json in ../shared/modern-samples' format, so that
//   node bench/modern-samples.js --dir WORKDIR
// compares bpflab's verdicts with them. Meant for the selftests programs that carry no
// test_loader annotations (build.sh --programs): prog_tests load them and most must pass.
// A rejection with no verifier message (EPERM for program types this machine refuses, a map or
// attach target libbpf cannot set up) is verdict "none": it says nothing about the verifier.
//   node bench/extra-selftests/program-verdicts.mjs WORKDIR [--jobs N]
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readKsel } from './ksel-output.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const { loadFileDetailed } = await import(join(root, 'dist/loader/index.js'));

const argv = process.argv.slice(2);
const work = argv[0] ?? '/tmp/bpflab-extra-programs';
const jobs = argv.includes('--jobs') ? Number(argv[argv.indexOf('--jobs') + 1]) : 2;
const ksel = join(work, 'ksel');
const t0 = performance.now();

const todo = [];
for (const name of readdirSync(join(work, 'obj')).filter((f) => f.endsWith('.o')).sort()) {
  const path = join(work, 'obj', name);
  let programs;
  try {
    ({ programs } = await loadFileDetailed(path, readFileSync(path)));
  } catch (e) {
    // Still judged by the kernel (bpflab's refusal then counts as a miss): libbpf lists the programs.
    console.error(`bpflab refuses ${name}: ${String(e.message).split('\n')[0]}`);
    programs = [];
    try {
      const { stdout } = await run(ksel, [path], { encoding: 'utf8' });
      for (const line of stdout.trim().split('\n').filter(Boolean)) {
        const [pname, section] = line.split(' ');
        programs.push({ name: pname, section, type: 'unknown', insns: [] });
      }
    } catch {
      console.error(`libbpf cannot open ${name} either: not judged`);
    }
  }
  for (const p of programs) todo.push({ obj: `obj/${name}`, path, p });
}

const results = new Array(todo.length);
let next = 0;
async function worker() {
  while (next < todo.length) {
    const i = next++;
    const { obj, path, p } = todo[i];
    const row = { obj, name: p.name, section: p.section, prog_type: p.type, insn_cnt: p.insns.length, verdict: 'none' };
    try {
      const { stdout } = await run(ksel, [path, p.name, '0', ''], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 24, env: { ...process.env, KSEL_FIX_MAPS: '1' } });
      const k = readKsel(stdout);
      if (k.verdict === 'accept') row.verdict = 'accept';
      else if (k.message.length > 0) row.verdict = 'reject';
      else row.why = `errno ${k.errno}, no verifier output`;
      row.errno = k.errno;
      if (k.verdict === 'reject') row.message = k.message.slice(-3);
      if (k.processed !== undefined) Object.assign(row, { processed: k.processed, total_states: k.totalStates, peak_states: k.peakStates });
    } catch (e) {
      row.why = String(e.message).split('\n')[0];
    }
    results[i] = row;
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
writeFileSync(join(work, 'kernel-verdicts.json'), JSON.stringify({ about: "The running kernel's verdict per program, each loaded alone (bench/extra-selftests/program-verdicts.mjs)", kernel, seconds: Math.round((performance.now() - t0) / 100) / 10, results }, null, 1));
const count = (v) => results.filter((r) => r.verdict === v).length;
console.log(`${results.length} programs: ${count('accept')} accept, ${count('reject')} reject, ${count('none')} none -> ${join(work, 'kernel-verdicts.json')}`);
