/**
 * Tracing programs run over the kernel-object world (src/runtime/kernel-objects) on the VM and
 * the JIT (checked and trusted): the libbpf-style tools of test/fixtures/btf-typed (execsnoop on
 * tp_btf and tracepoint into a ring buffer, fentry/fexit on do_unlinkat, an LSM hook, iter/task,
 * task kfuncs under bpf_rcu_read_lock, bpf_loop, bpf_for) and kernel_objects.c (bpf_d_path,
 * the current task's cred and cgroup, bpf_cpumask_*), each over the default world and over a
 * described one; the expected values follow from the world and the C source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import type { Program } from '../../src/isa/program.js';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { loadFile } from '../../src/loader/index.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import { DEFAULT_TASK } from '../../src/runtime/env.js';
import { DEFAULT_EXEC_PATH, DEFAULT_FILE_PATH, type WorldDescription, iterLength, parseWorldJson } from '../../src/runtime/kernel-objects/index.js';
import { Memory } from '../../src/runtime/memory.js';
import { memberPath } from '../../src/runtime/kernel-objects/layout.js';
import { parseBtf } from '../../src/loader/btf/index.js';
import { BTF_KIND, buildBtf, type BtfRecord } from '../hostile/build.js';
import { isRingBufMap } from '../../src/runtime/maps/guards.js';
import type { BpfMap } from '../../src/runtime/maps/types.js';
import { Vm, type RunInput, type RunResult } from '../../src/vm/index.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';

const btf = readTargetBtf(RUNNING_KERNEL_BTF);
if (typeof btf === 'string') console.log(`skip kernel objects: ${btf}`);
const dir = new URL('../fixtures/btf-typed/', import.meta.url);

type Engine = 'vm' | JitMode;
const ENGINES: Engine[] = ['vm', 'checked', 'trusted'];

const objects = new Map<string, Program[]>();
async function program(file: string, name: string): Promise<Program> {
  let ps = objects.get(file);
  if (!ps) { ps = await loadFile(file, new Uint8Array(readFileSync(new URL(file, dir)))); objects.set(file, ps); }
  const p = ps.find((x) => x.name === name);
  if (!p) throw new Error(`${file}: no program ${name}`);
  return p;
}

interface Outcome { r: RunResult; maps: readonly BpfMap[]; records: Uint8Array[] }

function runOn(p: Program, engine: Engine, input: RunInput = {}): Outcome {
  const exe = engine === 'vm' ? new Vm(p) : new Jit(p, { mode: engine });
  const r = exe.run(input);
  const records = exe.maps.filter(isRingBufMap).flatMap((m) => m.consume());
  return { r, maps: exe.maps, records };
}

/** The bytes of a global (in .bss / .data of the object) after the run. */
function global(o: Outcome, section: string): DataView {
  const m = o.maps.find((x) => x.spec.name.endsWith(section))!;
  const v = m.lookup(new Uint8Array(4))!;
  return new DataView(v.buffer, v.byteOffset, v.byteLength);
}

const cstr = (b: Uint8Array): string => { const n = b.indexOf(0); return Buffer.from(b.subarray(0, n < 0 ? b.length : n)).toString('latin1'); };
const clean = (o: Outcome, e: Engine): void => { expect(o.r.fault?.message ?? o.r.error?.message, e).toBeUndefined(); };

/** struct event of execsnoop.c: pid, ppid, uid, comm[16], filename[64]. */
function event(b: Uint8Array) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: dv.getUint32(0, true), ppid: dv.getUint32(4, true), uid: dv.getUint32(8, true), comm: cstr(b.subarray(12, 28)), filename: cstr(b.subarray(28, 92)) };
}

const WORLD: WorldDescription = parseWorldJson(JSON.stringify({
  objects: {
    current: { type: 'task_struct', fields: { pid: 300, tgid: 300, comm: 'make', real_parent: '@shell', cred: '@user' } },
    shell: { type: 'struct task_struct', fields: { pid: 200, tgid: 200, comm: 'bash', real_parent: '@init', cred: '@user', rcu_users: 1 } },
    user: { type: 'cred', fields: { uid: 1000, gid: 100, euid: 0, egid: 100 } },
    bprm: { type: 'linux_binprm', fields: { filename: '/usr/bin/cc' } },
  },
}), 'world.json');

describe.skipIf(typeof btf === 'string')('tracing tools run over kernel objects', () => {
  it('execsnoop (tp_btf): one ring-buffer record naming the exec, from the default world and a described one', async () => {
    const p = await program('execsnoop.o', 'exec_btf');
    for (const e of ENGINES) {
      const d = runOn(p, e);
      clean(d, e);
      expect(d.records.map(event), e).toEqual([{ pid: DEFAULT_TASK.tgid, ppid: 1, uid: 0, comm: DEFAULT_TASK.comm, filename: DEFAULT_EXEC_PATH }]);
      const w = runOn(p, e, { kernelObjects: WORLD });
      clean(w, e);
      // the task argument defaults to the current task; uid comes from its cred (bpf_get_current_uid_gid agrees)
      expect(w.records.map(event), e).toEqual([{ pid: 300, ppid: 200, uid: 1000, comm: 'make', filename: '/usr/bin/cc' }]);
    }
  });

  it('execsnoop (tracepoint): bpf_get_current_task + BPF_CORE_READ reach the parent through probe_read_kernel', async () => {
    const p = await program('execsnoop.o', 'exec_tp');
    for (const e of ENGINES) {
      const w = runOn(p, e, { kernelObjects: WORLD, ctx: new Uint8Array(64) });
      clean(w, e);
      const ev = w.records.map(event);
      expect(ev.map(({ pid, ppid, uid, comm }) => ({ pid, ppid, uid, comm })), e).toEqual([{ pid: 300, ppid: 200, uid: 1000, comm: 'make' }]);
    }
  });

  it('fentry/fexit on do_unlinkat read struct filename and the return value from "args" / "ret"', async () => {
    const entry = await program('unlink_fentry.o', 'unlink_entry');
    const exit = await program('unlink_fentry.o', 'unlink_exit');
    const desc = parseWorldJson(JSON.stringify({
      objects: { fn: { type: 'filename', fields: { name: '/home/u/notes.txt' } } }, args: [-100, '@fn'], ret: -2,
    }), 'unlink.json');
    for (const e of ENGINES) {
      const d = runOn(entry, e);
      clean(d, e);
      expect(cstr(new Uint8Array(global(d, '.bss').buffer, global(d, '.bss').byteOffset, 64)), e).toBe(DEFAULT_FILE_PATH);
      const w = runOn(entry, e, { kernelObjects: desc });
      expect(cstr(new Uint8Array(global(w, '.bss').buffer, global(w, '.bss').byteOffset, 64)), e).toBe('/home/u/notes.txt');
      const x = runOn(exit, e, { kernelObjects: desc });
      clean(x, e);
      expect(global(x, '.bss').getBigInt64(64, true), e).toBe(-2n);
    }
  });

  it('lsm/file_open: 0 for the default file, -1 when f_flags has the high bit; a NULL pointer walked reads 0', async () => {
    const p = await program('lsm_iter.o', 'deny_nothing');
    const high = parseWorldJson('{"objects": {"file": {"type": "file", "fields": {"f_flags": 2147483648}}}}', 'lsm.json');
    for (const e of ENGINES) {
      const d = runOn(p, e);
      clean(d, e);
      expect(d.r.r0, e).toBe(0n);
      expect(global(d, '.bss').getBigUint64(0, true), e).toBe(1n);
      expect(BigInt.asIntN(32, runOn(p, e, { kernelObjects: high }).r.r0), e).toBe(-1n);
      // the hook's ret argument set: the program returns -1 before reading the file
      expect(BigInt.asIntN(32, runOn(p, e, { kernelObjects: { args: [null], ret: -13 } }).r.r0), e).toBe(-1n);
      expect(BigInt.asIntN(32, runOn(p, e, { kernelObjects: { args: [null, -13] } }).r.r0), e).toBe(-1n); // BPF_PROG's view: ret last
      // file NULL: the load of file->f_flags is BPF_PROBE_MEM in the kernel and reads 0
      const nul = runOn(p, e, { kernelObjects: { args: [null, 0] } });
      clean(nul, e);
      expect(nul.r.r0, e).toBe(0n);
    }
  });

  it('iter/task: one run per task by pid, then the NULL stop call; seq_printf text concatenated', async () => {
    const p = await program('lsm_iter.o', 'dump_task');
    const n = iterLength(p, WORLD, DEFAULT_TASK, new Memory());
    expect(n).toBe(3); // init (1), shell (200), current (300)
    for (const e of ENGINES) {
      let seq = '';
      for (let i = 0; i <= n; i++) {
        const o = runOn(p, e, { kernelObjects: WORLD, iterStep: i });
        clean(o, e);
        seq += o.r.seq ?? '';
      }
      expect(seq, e).toBe('1 systemd\n200 bash\n300 make\n');
    }
  });

  it('bpf_task_acquire/release and bpf_task_from_pid under bpf_rcu_read_lock', async () => {
    const acq = await program('task_kfuncs.o', 'acquire_release');
    const fromPid = await program('task_kfuncs.o', 'from_pid_rcu');
    const thread = parseWorldJson(JSON.stringify({ objects: { current: { type: 'task_struct', fields: { pid: 301, tgid: 300 } } } }), 't.json');
    for (const e of ENGINES) {
      const a = runOn(acq, e, { kernelObjects: thread });
      clean(a, e);
      expect(global(a, '.bss').getBigUint64(0, true), e).toBe(301n);
      const f = runOn(fromPid, e, { kernelObjects: thread });
      clean(f, e);
      expect(global(f, '.bss').getBigUint64(0, true), e).toBe(300n);
      // a task whose rcu_users dropped to 0 is dead: bpf_task_acquire returns NULL, out stays 0
      const dead = runOn(acq, e, { kernelObjects: { objects: { current: { type: 'task_struct', fields: { pid: 5, rcu_users: 0 } } } } });
      expect(global(dead, '.bss').getBigUint64(0, true), e).toBe(0n);
    }
  });

  it('bpf_d_path, the current task\'s cred and cgroup, bpf_cgroup_from_id, bpf_cpumask_*', async () => {
    const open = await program('kernel_objects.o', 'open_path');
    const who = await program('kernel_objects.o', 'whoami');
    const masks = await program('kernel_objects.o', 'masks');
    const other = parseWorldJson(JSON.stringify({ objects: { file: { type: 'file', path: '/var/log/syslog' } } }), 'f.json');
    for (const e of ENGINES) {
      const d = runOn(open, e);
      clean(d, e);
      const bss = global(d, '.bss');
      expect(cstr(new Uint8Array(bss.buffer, bss.byteOffset, 64)), e).toBe(DEFAULT_FILE_PATH);
      expect(bss.getBigInt64(64, true), e).toBe(BigInt(DEFAULT_FILE_PATH.length + 1));
      const o = global(runOn(open, e, { kernelObjects: other }), '.bss');
      expect(cstr(new Uint8Array(o.buffer, o.byteOffset, 64)), e).toBe('/var/log/syslog');
      const w = runOn(who, e, { kernelObjects: WORLD, task: { cgroupId: 77n, cgroupAncestors: [1n, 12n] } });
      clean(w, e);
      const wb = global(w, '.bss');
      // uid, euid at 72/76, cgid at 80, level at 88
      expect([wb.getUint32(72, true), wb.getUint32(76, true), wb.getBigUint64(80, true), wb.getBigUint64(88, true)], e).toEqual([1000, 0, 77n, 2n]);
      const m = runOn(masks, e);
      clean(m, e);
      const mb = global(m, '.bss');
      expect([mb.getUint32(96, true), mb.getUint32(100, true), mb.getUint32(104, true), mb.getUint32(108, true)], e).toEqual([2, 5, 1, 0]);
    }
  });

  it('kprobe/kretprobe: pt_regs arguments typed by the probed function, from "args" and "ret"', async () => {
    const kp = await program('kernel_objects.o', 'kprobe_unlink');
    const kr = await program('kernel_objects.o', 'kretprobe_unlink');
    const desc = parseWorldJson(JSON.stringify({ objects: { fn: { type: 'filename', fields: { name: '/etc/passwd' } } }, args: [3, '@fn'], ret: -13 }), 'k.json');
    for (const e of ENGINES) {
      const a = runOn(kp, e, { kernelObjects: desc });
      clean(a, e);
      const b = global(a, '.data.kpath');
      expect(cstr(new Uint8Array(b.buffer, b.byteOffset, 64)), e).toBe('/etc/passwd');
      // no "args": the struct filename * parameter is the world's filename
      const d = global(runOn(kp, e, { kernelObjects: {} }), '.data.kpath');
      expect(cstr(new Uint8Array(d.buffer, d.byteOffset, 64)), e).toBe(DEFAULT_FILE_PATH);
      expect(global(runOn(kr, e, { kernelObjects: desc }), '.data.kret').getBigInt64(0, true), e).toBe(-13n);
    }
  });

  it('raw_tp: args[] typed by the tracepoint, pointers to the world\'s objects read with probe reads', async () => {
    const p = await program('kernel_objects.o', 'raw_exec');
    for (const e of ENGINES) {
      const o = runOn(p, e, { kernelObjects: WORLD });
      clean(o, e);
      const raw = global(o, '.data.raw');
      expect([raw.getUint32(0, true), cstr(new Uint8Array(raw.buffer, raw.byteOffset + 4, 60))], e).toEqual([300, '/usr/bin/cc']);
    }
  });

  it('bpf_iter_task_new/next/destroy: every process of the world, then the threads of one process', async () => {
    const p = await program('kernel_objects.o', 'count_tasks');
    const desc = parseWorldJson(JSON.stringify({ objects: {
      thr: { type: 'task_struct', fields: { pid: 4250, tgid: 4242, comm: 'worker' } },
      other: { type: 'task_struct', fields: { pid: 77, tgid: 77 } },
    } }), 'threads.json');
    for (const e of ENGINES) {
      const o = runOn(p, e, { kernelObjects: desc });
      clean(o, e);
      const it = global(o, '.data.iters');
      // processes 1, 77, 4242 (the thread 4250 is not a leader); the new task's process has 2 threads
      expect([it.getUint32(0, true), it.getUint32(4, true), it.getUint32(8, true)], e).toEqual([3, 1 + 77 + 4242, 2]);
    }
  });

  it('bpf_loop and bpf_for users run on every engine', async () => {
    const loop = await program('callbacks.o', 'loop_sum');
    const forSum = await program('iterators.o', 'for_sum');
    const repeat = await program('iterators.o', 'repeat_count');
    for (const e of ENGINES) {
      expect(runOn(loop, e, { packet: new Uint8Array(16) }).r.r0, e).toBe(45n);
      expect(runOn(forSum, e, { packet: new Uint8Array(64) }).r.r0, e).toBe(BigInt((999 * 1000 / 2) & 1));
      expect(runOn(repeat, e, { packet: new Uint8Array(64) }).r.r0, e).toBe(0n);
    }
  });

  it('a bad description is one InputError naming the object and field', async () => {
    const p = await program('execsnoop.o', 'exec_btf');
    const bad = (d: object): string => { try { new Vm(p).run({ kernelObjects: d as WorldDescription }); return 'no error'; } catch (e) { expect(e).toBeInstanceOf(InputError); return (e as Error).message; } };
    expect(bad({ objects: { x: { type: 'no_such_struct' } } })).toContain("objects.x: no struct 'no_such_struct'");
    expect(bad({ objects: { current: { type: 'task_struct', fields: { no_field: 1 } } } })).toContain('objects.current.no_field');
    expect(bad({ objects: { current: { type: 'task_struct', fields: { real_parent: '@nobody' } } } })).toContain("no object named 'nobody'");
    expect(bad({ objects: { current: { type: 'task_struct', fields: { comm: 'a name longer than sixteen' } } } })).toContain('does not fit in char[16]');
    expect(() => parseWorldJson('{"objects": []}', 'w.json')).toThrow(/w.json: "objects" must map names/);
    expect(() => parseWorldJson('{', 'w.json')).toThrow(/w.json: not JSON/);
  });

  it('bpflab run --kernel-objects: iter/task prints the seq_file, exec_btf its ring-buffer record; bad JSON exits 2', async () => {
    const files = { 'it.o': new Uint8Array(readFileSync(new URL('lsm_iter.o', dir))), 'ex.o': new Uint8Array(readFileSync(new URL('execsnoop.o', dir))), 'w.json': JSON.stringify({ objects: { current: { type: 'task_struct', fields: { pid: 9, tgid: 9, comm: 'cat' } } } }), 'bad.json': '{"objects": {"current": {"type": "task_struct", "fields": {"pidd": 1}}}}' };
    const cli = async (args: string[]) => { const io = memoryIo(files); const code = await main(args, io); return { code, out: io.stdout, err: io.stderr }; };
    const it1 = await cli(['run', 'it.o', '--section', 'dump_task', '--kernel-objects', 'w.json']);
    expect([it1.code, it1.out, it1.err]).toEqual([0, '0\n', 'seq: 1 systemd\nseq: 9 cat\n']);
    const j = JSON.parse((await cli(['run', 'ex.o', '--section', 'exec_btf', '--kernel-objects', 'w.json', '--json'])).out) as { records: Record<string, string[]> };
    expect(j.records['events']!.map((h) => event(Buffer.from(h, 'hex')).comm)).toEqual(['cat']);
    const bad = await cli(['run', 'ex.o', '--section', 'exec_btf', '--kernel-objects', 'bad.json']);
    expect(bad.code).toBe(2);
    // found when the world is built, yet still one line naming the description's file
    expect(bad.err).toBe("bpflab: bad.json: kernel objects: objects.current.pidd: struct task_struct has no member 'pidd'\n");
    files['bad.json'] = '{"objects": {"current": {"type": "task_struct", "fields": {"pid": null}}}}';
    for (const args of [['ex.o', '--section', 'exec_btf'], ['it.o', '--section', 'dump_task']]) {
      const typed = await cli(['run', ...args, '--kernel-objects', 'bad.json']);
      expect([typed.code, typed.err]).toEqual([2, 'bpflab: bad.json: kernel objects: objects.current.pid: expected an integer, got null\n']);
    }
  });

  it('explain: the counterexample of a rejected tp_btf program names the kernel object field, and its replay over those objects faults', async () => {
    const files = { 'k.o': new Uint8Array(readFileSync(new URL('kernel_objects.o', dir))) };
    const io = memoryIo(files);
    const code = await main(['explain', 'k.o', '--section', 'parent_index'], io);
    expect(code).toBe(1);
    expect(io.stdout).toContain('verdict: REAL');
    expect(io.stdout).toContain('arg0->real_parent->tgid = 16');
    expect(io.stdout).toMatch(/replay on the checked VM: out of bounds at pc 8: 8-byte access at map_value\+128 \(reproduces the rejection\)/);
  });
});

describe('kernel-object layout on a hostile --btf', () => {
  it('a member path through anonymous unions of four anonymous unions, 16 deep, resolves in linear time', () => {
    // [1] int; [2] union { int x; }; [k+2] union { [k+1] x4 } (anonymous); struct task_struct { [18]; }
    const types: BtfRecord[] = [{ kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] }, { kind: BTF_KIND.UNION, vlen: 1, sizeOrType: 4, extra: ['x', 1, 0] }];
    for (let k = 1; k <= 16; k++) types.push({ kind: BTF_KIND.UNION, vlen: 4, sizeOrType: 4, extra: ['', k + 1, 0, '', k + 1, 0, '', k + 1, 0, '', k + 1, 0] });
    types.push({ kind: BTF_KIND.STRUCT, name: 'task_struct', vlen: 1, sizeOrType: 4, extra: ['', types.length, 0] });
    const btf = parseBtf(buildBtf(types), 'bomb.btf');
    const t0 = process.cpuUsage();
    expect(typeof memberPath(btf, types.length, 'pid')).toBe('string');
    const t = process.cpuUsage(t0);
    expect((t.user + t.system) / 1000).toBeLessThan(1000);
  });
});
