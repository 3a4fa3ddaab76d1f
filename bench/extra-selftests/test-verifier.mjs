#!/usr/bin/env node
// bpflab beside the live kernel on the kernel's test_verifier suite (dump.jsonl from
// test-verifier.sh): each privileged load, with its maps, BTF and func_info, verified by bpflab
// and compared with the kernel's verdict (run `npm run build` first).
//   node bench/extra-selftests/test-verifier.mjs WORKDIR/dump.jsonl [--verbose]
// Not judged: unprivileged loads (bpflab verifies as root does), loads that need bpf_testmod's
// kfuncs or an attach target, and rejections with no verifier log (a map or BTF the kernel refused).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { verify } = await import(`${root}dist/verifier/index.js`);
const { mapTypeName, PROG_TYPES } = await import(`${root}dist/isa/program.js`);
const { decodeInsns } = await import(`${root}dist/isa/decode.js`);
const { parseBtf } = await import(`${root}dist/loader/btf/index.js`);
const { retypeFuncInfo } = await import(`${root}dist/loader/elf.js`);

const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--')) ?? '/tmp/bpflab-test-verifier/dump.jsonl';
const verbose = argv.includes('--verbose');
const BPF_F_STRICT_ALIGNMENT = 1, BPF_F_ANY_ALIGNMENT = 2, BPF_F_TEST_REG_INVARIANTS = 1 << 7, BPF_F_RDONLY_PROG = 1 << 7;
const progTypeName = (n) => Object.entries(PROG_TYPES).find(([, v]) => v === n)?.[0];

/** The Program the kernel was given: map fds become indices into `maps`. */
function programOf(t) {
  const insns = decodeInsns(new Uint8Array(Buffer.from(t.insns, 'hex')));
  const fds = Object.keys(t.maps);
  const maps = fds.map((fd) => {
    const m = t.maps[fd];
    const type = mapTypeName(m.type);
    const spec = { name: `map_fd${fd}`, type, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, flags: m.map_flags };
    // test_verifier's create_map_in_map: an array of int of one entry inside.
    if (type === 'array_of_maps' || type === 'hash_of_maps') spec.inner = { name: 'inner', type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 };
    if (m.map_flags & BPF_F_RDONLY_PROG) spec.readonly = true;
    if (m.btf_value_type_id) { spec.btfKeyTypeId = m.btf_key_type_id; spec.btfValueTypeId = m.btf_value_type_id; }
    return spec;
  });
  for (const x of insns) if (x.code === 0x18 && (x.src === 1 || x.src === 2)) { const i = fds.indexOf(String(x.imm)); if (i >= 0) x.imm = i; }
  const type = progTypeName(t.prog_type);
  const p = { name: t.descr, section: '', type, insns, maps, license: 'GPL', ...(t.expected_attach_type ? { expectedAttachType: t.expected_attach_type } : {}) };
  if (t.btf_raw) {
    const raw = new Uint8Array(Buffer.from(t.btf_raw, 'hex'));
    const funcInfo = t.func_info_recs.map(([pc, typeId]) => ({ pc, typeId }));
    p.btf = { raw, funcInfo, lineInfo: [] };
    if (funcInfo.length) {
      const btf = parseBtf(raw, t.descr);
      p.funcInfo = funcInfo.map(({ pc, typeId }) => ({ pc, typeId, name: btf.type(typeId)?.name ?? `func${pc}` }));
      p.funcInfo = retypeFuncInfo(p, btf, type);
    }
  }
  return p;
}

const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const notJudged = {};
const skip = (why) => { notJudged[why] = (notJudged[why] ?? 0) + 1; };
let judged = 0, agree = 0, wronglyAccepted = 0;
const misses = [];
for (const t of rows) {
  if (t.unpriv) { skip('unprivileged'); continue; }
  if (t.kfunc || t.fd_array) { skip('bpf_testmod kfunc or attach target'); continue; }
  if (t.verdict === 'reject' && !t.log) { skip('no verifier log'); continue; }
  if (!progTypeName(t.prog_type)) { skip('unknown program type'); continue; }
  judged++;
  let verdict, why = '';
  try {
    const r = verify(programOf(t), { allowUninitStack: true, testRegInvariants: (t.prog_flags & BPF_F_TEST_REG_INVARIANTS) !== 0,
      strictAlignment: (t.prog_flags & BPF_F_STRICT_ALIGNMENT) !== 0 && (t.prog_flags & BPF_F_ANY_ALIGNMENT) === 0 });
    verdict = r.verdict;
    if (r.error) why = `insn ${r.error.pc}: ${r.error.message}`;
  } catch (e) {
    // The decoder refuses encodings no loader would pass on (as the kernel rejects them).
    verdict = 'reject';
    why = `refused: ${String(e.message).split('\n')[0]}`;
  }
  if (verdict === t.verdict) { agree++; continue; }
  if (verdict === 'accept') wronglyAccepted++;
  misses.push(`#${t.idx} ${t.descr}: kernel ${t.verdict} (${t.log.replace(/\n/g, ' / ').slice(0, 160)}), bpflab ${verdict} ${why}`);
}
console.log(`test_verifier: ${rows.length} loads, ${judged} judged: same verdict ${agree} (${((100 * agree) / Math.max(judged, 1)).toFixed(1)} %), accepted where the kernel rejects ${wronglyAccepted}`);
console.log(`not judged: ${Object.entries(notJudged).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`);
if (verbose || misses.length <= 20) for (const m of misses) console.log(m);
