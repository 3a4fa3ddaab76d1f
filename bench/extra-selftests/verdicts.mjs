// The running kernel's verdict on every test of WORKDIR/obj (built by build.sh), written to
// WORKDIR/kernel-verdicts.json in ../shared/kernel-selftests' format, for
//   bpflab selftests WORKDIR/obj --kernel-verdicts WORKDIR/kernel-verdicts.json
// Tests are found, and their flags and auxiliary programs read, by bpflab's own test_loader
// model (src/selftests); the kernel loads them through libbpf (ksel). verifier_*.c files run with
// CAP_SYS_ADMIN dropped as prog_tests/verifier.c does (and CAP_PERFMON too in verifier_mtu).
// A rejection with no verifier message (EPERM for program types this machine refuses, a map or
// attach target libbpf cannot set up) is verdict "error": it says nothing about the verifier.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKsel } from './ksel-output.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { loadFileDetailed } = await import(join(root, 'dist/loader/index.js'));
const { parseTestSpec, declTags, MODE_PRIV } = await import(join(root, 'dist/selftests/index.js'));

const work = process.argv[2] ?? '/tmp/bpflab-extra-selftests';
const ksel = join(work, 'ksel');
const t0 = performance.now();
const results = [];
for (const name of readdirSync(join(work, 'obj')).filter((f) => f.endsWith('.o')).sort()) {
  const path = join(work, 'obj', name);
  const file = name.replace(/\.o$/, '');
  const { elf } = await loadFileDetailed(path, readFileSync(path));
  if (!elf?.btf) continue;
  const specs = elf.programs.map((p) => { try { return parseTestSpec(p.name, declTags(elf.btf, p.name)); } catch { return null; } });
  const aux = elf.programs.filter((_, i) => specs[i]?.auxiliary && specs[i].modeMask & MODE_PRIV).map((p) => p.name).join(',');
  elf.programs.forEach((p, i) => {
    const spec = specs[i];
    if (!spec || spec.auxiliary) return;
    const args = [path, p.name, String(spec.progFlags), aux];
    let out;
    try {
      out = file.startsWith('verifier_')
        ? execFileSync('capsh', [`--drop=cap_sys_admin${file === 'verifier_mtu' ? ',cap_perfmon' : ''}`, '--', '-c', '"$0" "$@"', ksel, ...args], { encoding: 'utf8', timeout: 120_000 })
        : execFileSync(ksel, args, { encoding: 'utf8', timeout: 120_000 });
    } catch (e) {
      results.push({ file, name: p.name, flags: spec.progFlags, verdict: 'error', errno: 0, message: [String(e.message).split('\n')[0]] });
      return;
    }
    const k = readKsel(out);
    const row = { file, name: p.name, flags: spec.progFlags, verdict: k.verdict === 'reject' && k.message.length === 0 ? 'error' : k.verdict, errno: k.errno, message: k.message.slice(-3) };
    if (k.processed !== undefined) row.processed = k.processed;
    results.push(row);
  });
}
const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
writeFileSync(join(work, 'kernel-verdicts.json'), JSON.stringify({ about: 'The running kernel\'s verdicts (bench/extra-selftests/verdicts.mjs)', kernel, seconds: Math.round((performance.now() - t0) / 100) / 10, results }, null, 1));
const count = (v) => results.filter((r) => r.verdict === v).length;
console.log(`${results.length} tests: ${count('accept')} accept, ${count('reject')} reject, ${count('error')} error -> ${join(work, 'kernel-verdicts.json')}`);
