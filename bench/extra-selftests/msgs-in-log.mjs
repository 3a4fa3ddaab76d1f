// Adds `msgs_in_log` to WORKDIR/kernel-verdicts.json (written by verdicts.mjs): whether the
// running kernel's own log holds the test's __msg patterns (and none of its __not_msg ones), as
// test_loader.c checks them, i.e. whether the test's message expectation holds on this kernel at
// all. `bpflab selftests --kernel-verdicts` then judges a rejection's message by the patterns
// only where the kernel meets them, else by the kernel's own last lines (messageMatches).
//   node bench/extra-selftests/msgs-in-log.mjs WORKDIR
// The log is the one test_loader reads: the test's log level (a rejection at level 0 is logged
// at level 1, libbpf's retry; an acceptance at level 0 has no log). The kernel loads through
// ksel (KSEL_LOG=level) with the capabilities verdicts.mjs uses.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { loadFileDetailed } = await import(join(root, 'dist/loader/index.js'));
const { parseTestSpec, declTags, MODE_PRIV, compilePattern, firstUnmatched } = await import(join(root, 'dist/selftests/index.js'));

const work = process.argv[2] ?? '/tmp/bpflab-extra-selftests';
const ksel = join(work, 'ksel');
const path = join(work, 'kernel-verdicts.json');
const doc = JSON.parse(readFileSync(path, 'utf8'));
const objects = new Map();
let added = 0;
for (const row of doc.results) {
  if (row.verdict !== 'accept' && row.verdict !== 'reject') continue;
  let o = objects.get(row.file);
  if (!o) {
    const obj = join(work, 'obj', row.file + '.o');
    const { elf } = await loadFileDetailed(obj, readFileSync(obj));
    const specs = new Map(elf.programs.map((p) => { try { return [p.name, parseTestSpec(p.name, declTags(elf.btf, p.name))]; } catch { return [p.name, null]; } }));
    const aux = [...specs].filter(([, s]) => s?.auxiliary && s.modeMask & MODE_PRIV).map(([n]) => n).join(',');
    o = { obj, specs, aux };
    objects.set(row.file, o);
  }
  const spec = o.specs.get(row.name);
  if (!spec || spec.priv.msgs.length === 0) continue;
  const level = (spec.logLevel & 3) === 0 && row.verdict === 'reject' ? 1 | (spec.logLevel & 4) : spec.logLevel;
  let log = '';
  if (level !== 0) {
    const args = [o.obj, row.name, String(spec.progFlags), o.aux];
    const drop = row.file.startsWith('verifier_') ? `cap_sys_admin${row.file === 'verifier_mtu' ? ',cap_perfmon' : ''}` : '';
    const sh = `"$0" "$@" 2>&1 >/dev/null`;
    const env = { ...process.env, KSEL_LOG: String(level) };
    log = drop
      ? execFileSync('capsh', [`--drop=${drop}`, '--', '-c', sh, ksel, ...args], { encoding: 'utf8', env, timeout: 120_000, maxBuffer: 1 << 28 })
      : execFileSync('sh', ['-c', sh, ksel, ...args], { encoding: 'utf8', env, timeout: 120_000, maxBuffer: 1 << 28 });
  }
  row.msgs_in_log = firstUnmatched(log, spec.priv.msgs.map(compilePattern), spec.priv.negative) < 0;
  added++;
}
writeFileSync(path, JSON.stringify(doc, null, 1));
console.log(`${path}: msgs_in_log on ${added} tests`);
