/**
 * `bpflab run FILE [--section S] [--type T] [--engine vm|jit|kernel] [--packet HEX|@FILE] [--ctx HEX|@FILE]
 *   [--mem HEX] [--map NAME:KEYHEX=VALUEHEX]... [--socket SPEC]... [--repeat N] [--no-verify] [--json]`
 * Runs one program and prints r0 as an unsigned decimal (the action's name, e.g. XDP_PASS, on
 * stderr). A fault or a rejection by the verifier is a negative answer: exit 1.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../isa/errors.js';
import type { Program } from '../../isa/program.js';
import { loadFile } from '../../loader/index.js';
import { onlyProgram } from '../../loader/open.js';
import { MAX_INCLUDED_BYTES } from '../../loader/file-policy.js';
import { returnName } from '../../runtime/context/index.js';
import { DEFAULT_MAP_MEMORY, MemoryBudget, MemoryBudgetError } from '../../runtime/maps/budget.js';
import { MapError, type BpfMap } from '../../runtime/maps/types.js';
import { dumpProcessMaps } from '../../replay/packet-engine.js';
import { verify } from '../../verifier/index.js';
import { type RunInput, type RunResult, Vm, VmError } from '../../vm/index.js';
import { R0_MAP, captureR0, memInMap, MEM_MAP } from '../../vm/kernel-harness.js';
import { numberOption, parseArgs, UsageError, type CommandDecl } from '../args.js';
import { cpuOptions, MAX_CPUS } from '../cpu-options.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command, Io } from '../io.js';
import { parseSocketArg } from './socket-arg.js';

const decl: CommandDecl = {
  name: 'run',
  summary: 'Run one program and print r0 as an unsigned decimal (the action name, e.g. XDP_PASS, goes to stderr).',
  usage: 'run FILE [--section S] [--type T] [--engine vm|jit|kernel] [--packet HEX|@FILE] [--ctx HEX|@FILE] [--mem HEX] [--map NAME:KEYHEX=VALUEHEX]... [--cpus N [--cpu K]] [--repeat N] [--no-verify] [--json]\n       run FILE --pcap IN.pcap[ng] [--out OUT.pcap[ng]] [--engine vm|jit|kernel] [--json|--jsonl]\n       run FILE --trace IN.jsonl [--event-type NAME] [--engine vm|jit] [--json|--jsonl]',
  options: [
    ...LOAD_OPTIONS,
    { name: 'engine', kind: 'string', valueName: 'E', choices: ['vm', 'jit', 'kernel'], description: 'vm (default), jit, or the running kernel (BPF_PROG_TEST_RUN)' },
    { name: 'packet', kind: 'string', valueName: 'HEX|@FILE', description: 'packet bytes from the Ethernet header on (socket_filter/cgroup_skb see them from the IP header, as BPF_PROG_TEST_RUN)' },
    { name: 'ctx', kind: 'string', valueName: 'HEX|@FILE', description: 'context bytes (__sk_buff, xdp_md, pt_regs, a tracepoint record, ...)' },
    { name: 'mem', kind: 'string', valueName: 'HEX', description: 'plain memory passed as r1 (address) and r2 (length), as conformance tests do' },
    { name: 'kernel-objects', kind: 'string', valueName: 'FILE.json', description: 'kernel objects (tasks, files, sockets, ...) and tracing arguments the run sees, over the default world (see docs)' },
    { name: 'map', kind: 'list', valueName: 'NAME:KEYHEX=VALUEHEX', description: 'fill a map entry before the run (repeatable; hex bytes in memory order)' },
    { name: 'socket', kind: 'list', valueName: 'PROTO[,STATE],LOCAL[,REMOTE][,dev=N][,netns=N][,v6only]', description: "a socket bpf_sk_lookup_* can find (vm, jit; repeatable), e.g. tcp,listen,127.0.0.1:80 or udp,[::]:53; the kernel engine sees this host's sockets" },
    { name: 'repeat', kind: 'number', valueName: 'N', description: 'run N times (state carries over, as with the kernel); report ns per run' },
    { name: 'no-verify', kind: 'flag', description: 'do not run the verifier first' },
    { name: 'seed', kind: 'number', valueName: 'N', description: 'seed of bpf_get_prandom_u32 (vm, jit)' },
    { name: 'cpus', kind: 'number', valueName: 'N', description: `CPUs the per-CPU and LRU maps model (vm, jit; default 1, with --trace the trace's CPUs; at most ${MAX_CPUS})` },
    { name: 'cpu', kind: 'number', valueName: 'K', description: 'the CPU the run is on: bpf_get_smp_processor_id, per-CPU map slots (vm, jit; default 0, below --cpus)' },
    { name: 'trusted', kind: 'flag', description: 'jit: generate unchecked code (only after the verifier accepted the program)' },
    { name: 'max-memory', kind: 'number', valueName: 'MIB', description: `memory the program's maps may take, in MiB (default ${DEFAULT_MAP_MEMORY >> 20})` },
    { name: 'pcap', kind: 'string', valueName: 'IN', description: 'run every packet of a pcap/pcapng capture through the program (xdp, tc, socket_filter, cgroup_skb), maps persisting' },
    { name: 'out', kind: 'string', valueName: 'OUT', description: 'with --pcap: write the packets as the program left them (.pcapng: with the action as each packet\'s comment)' },
    { name: 'trace', kind: 'string', valueName: 'IN.jsonl', description: "run an event trace through the object's tracing programs at their hooks, maps shared" },
    { name: 'event-type', kind: 'string', valueName: 'NAME', description: 'with --trace: decode ring/perf buffer records as this BTF struct (default: inferred from the size)' },
    { name: 'attach', kind: 'string', valueName: 'HOOK', description: 'with --trace: the hook of a program whose input names none (assembly, raw bytecode), e.g. kprobe/do_unlinkat' },
    { name: 'jsonl', kind: 'flag', description: 'with --pcap/--trace: one JSON line per packet or record, then a summary line' },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

/** Hex bytes ("0a0b", "0a 0b", "0a:0b") or @FILE (raw bytes, or hex text). */
export function parseBytes(spec: string, what: string, io: Io): Uint8Array {
  if (spec.startsWith('@')) {
    const b = io.readFile(spec.slice(1), { regularOnly: true, maxBytes: MAX_INCLUDED_BYTES });
    const text = new TextDecoder().decode(b);
    if (/^[\s0-9a-fA-F:,x]*$/.test(text) && /[0-9a-fA-F]/.test(text)) return parseHex(text.replace(/0x/g, ''), `${what} ${spec}`);
    return b;
  }
  return parseHex(spec, what);
}

function parseHex(s: string, what: string): Uint8Array {
  const h = s.replace(/[\s:,_-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(h)) throw new UsageError(`run: ${what}: not hex: '${s.length > 40 ? s.slice(0, 40) + '…' : s}'`);
  if (h.length % 2) throw new UsageError(`run: ${what}: odd number of hex digits (${h.length})`);
  return Uint8Array.from({ length: h.length / 2 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
}

interface MapFillArg { map: string; key: Uint8Array; value: Uint8Array }

function parseMapArg(s: string, program: Program): MapFillArg {
  const m = /^([^:]+):([^=]*)=(.*)$/.exec(s);
  if (!m) throw new UsageError(`run: --map ${s}: expected NAME:KEYHEX=VALUEHEX`);
  const spec = program.maps.find((x) => x.name === m[1]);
  if (!spec) throw new UsageError(`run: --map ${s}: no map '${m[1]}' (have: ${program.maps.map((x) => x.name).join(', ') || 'none'})`);
  const key = parseHex(m[2]!, `--map ${m[1]} key`);
  const value = parseHex(m[3]!, `--map ${m[1]} value`);
  if (spec.type !== 'queue' && spec.type !== 'stack' && key.length !== spec.keySize) throw new UsageError(`run: --map ${m[1]}: key has ${key.length} bytes, the map's key_size is ${spec.keySize}`);
  return { map: spec.name, key, value };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    try {
      return await runParsed(args, io);
    } catch (e) {
      throw namingObjectsFile(e, args.strings.get('kernel-objects'));
    }
  },
};

/**
 * A --kernel-objects description that parses but does not fit the kernel BTF (a field of the
 * wrong type, a reference to a missing object) is found when the world is built, far from the
 * file: name the file in that error, as the parse errors do.
 */
function namingObjectsFile(e: unknown, file: string | undefined): unknown {
  if (file === undefined || !(e instanceof InputError) || e.kind !== 'kernel_objects' || e.message.startsWith(`${file}: `)) return e;
  return new InputError(e.kind, `${file}: ${e.message}`);
}

async function runParsed(args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const path = args.positionals[0]!;
  const programs = await loadFile(path, io.readFile(path), loadOptionsFrom(args));
  const pcap = args.strings.get('pcap'), trace = args.strings.get('trace');
  if (pcap !== undefined && trace !== undefined) throw new UsageError('run: --pcap and --trace exclude each other');
  if (args.strings.has('out') && pcap === undefined) throw new UsageError('run: --out goes with --pcap');
  if (args.strings.has('event-type') && trace === undefined) throw new UsageError('run: --event-type goes with --trace');
  if (args.strings.has('attach') && trace === undefined) throw new UsageError('run: --attach goes with --trace');
  if (args.flags.has('jsonl') && pcap === undefined && trace === undefined) throw new UsageError('run: --jsonl goes with --pcap or --trace');
  if ((pcap !== undefined || trace !== undefined) && ['packet', 'ctx', 'mem', 'repeat'].some((o) => args.strings.has(o)))
    throw new UsageError(`run: --${pcap !== undefined ? 'pcap' : 'trace'} supplies the inputs: drop --packet/--ctx/--mem/--repeat`);
  const engine = args.strings.get('engine') ?? 'vm';
  // options of one engine are refused on another rather than ignored
  if (args.flags.has('trusted') && (engine !== 'jit' || trace !== undefined)) throw new UsageError('run: --trusted is the jit\'s unchecked code: it goes with --engine jit (a single run or --pcap)');
  if (args.strings.has('seed') && engine === 'kernel') throw new UsageError('run: --seed seeds bpf_get_prandom_u32 on the vm and the jit; the kernel engine uses the kernel\'s own');
  if (trace !== undefined) {
    const { runOverTrace } = await import('./run-inputs.js');
    const { programHook } = await import('../../replay/trace-run.js');
    // as a tool's loader would: every program that attaches is loaded (verified) first
    const attaches = (p: Program) => programHook(p) !== undefined || (args.strings.has('attach') && !p.section);
    if (!args.flags.has('no-verify')) for (const p of programs) if (attaches(p) && rejectedBy(p, path, io, args.flags.has('json'))) return 1;
    return runOverTrace(path, programs, args, io);
  }
  const program = onlyProgram(path, programs, args.strings.get('section'));
  const repeat = Math.max(1, Number(args.strings.get('repeat') ?? '1'));
  const json = args.flags.has('json');
  const input: RunInput = {};
  const pkt = args.strings.get('packet');
  const ctx = args.strings.get('ctx');
  const memArg = args.strings.get('mem');
  if (pkt !== undefined) input.packet = parseBytes(pkt, '--packet', io);
  if (ctx !== undefined) input.ctx = parseBytes(ctx, '--ctx', io);
  if (memArg !== undefined) input.mem = parseBytes(memArg, '--mem', io);
  const objsArg = args.strings.get('kernel-objects');
  if (objsArg !== undefined) {
    const { parseWorldJson } = await import('../../runtime/kernel-objects/index.js');
    input.kernelObjects = parseWorldJson(new TextDecoder().decode(io.readFile(objsArg, { regularOnly: true, maxBytes: MAX_INCLUDED_BYTES })), objsArg);
  }
  const seed = args.strings.get('seed');
  if (seed !== undefined) input.seed = Number(seed);
  const { cpus, cpu } = cpuOptions(args, engine);
  if (cpu !== undefined) input.cpu = cpu;
  const fills = (args.lists.get('map') ?? []).map((s) => parseMapArg(s, program));
  const sockets = (args.lists.get('socket') ?? []).map(parseSocketArg);
  if (sockets.length) {
    if (engine === 'kernel') throw new UsageError("run: --socket describes the VM's socket table; the kernel engine looks up this host's sockets");
    input.sockets = sockets;
  }

  if (!args.flags.has('no-verify') && engine !== 'kernel' && rejectedBy(program, path, io, json, engine)) return 1;
  if (pcap !== undefined) {
    const { runOverPcap } = await import('./run-inputs.js');
    return runOverPcap(path, program, args, io);
  }

  let res: RunResult;
  let nsPerRun: number;
  let maps: readonly BpfMap[] = [];
  let kernelMaps: Record<string, Record<string, string>> | undefined;
  let jitStats: unknown;
  if (engine === 'kernel') {
    const k = await import('../../kernel/index.js');
    const avail = k.kernelAvailable();
    if (!avail.ok) throw new InputError('kernel', `run: the kernel engine is unavailable here: ${avail.reason}`);
    let p = program;
    const fill = fills.map((f) => ({ map: f.map, key: f.key, value: f.value }));
    if (input.mem) { p = memInMap(p, input.mem.length); fill.push({ map: MEM_MAP, key: new Uint8Array(4), value: input.mem }); }
    p = captureR0(p);
    const kin: Parameters<typeof k.runInKernel>[1] = { fill, repeat, logLevel: 1 };
    if (input.packet) kin.data = input.packet;
    else if (program.type === 'socket_filter' || program.type === 'sched_cls' || program.type === 'sched_act' || program.type === 'xdp' || input.mem) kin.data = new Uint8Array(64);
    if (input.ctx) kin.ctx = input.ctx;
    const r = k.runInKernel(p, kin);
    if (r.load.verdict === 'reject') {
      const last = r.load.log.trim().split('\n').filter((l) => l && !/^(processed|stack depth|verification time|\d+: )/.test(l)).at(-1);
      io.err(`bpflab: run: the kernel rejects ${program.name}: ${last ?? r.load.errno}\n`);
      return 1;
    }
    const r0b = r.maps.find((m) => m.name === R0_MAP)?.entries[0]?.[1];
    const r0 = r0b ? new DataView(r0b.buffer, r0b.byteOffset, 8).getBigUint64(0, true) : BigInt(r.run?.retval ?? 0);
    res = { r0, steps: 0, trace: [], tailCalls: 0, maxDepth: 0 };
    if (r.run?.dataOut && input.packet) res.packet = r.run.dataOut;
    nsPerRun = r.run?.durationNs ?? 0;
    kernelMaps = {};
    for (const m of r.maps) if (m.name !== R0_MAP && m.name !== MEM_MAP) kernelMaps[m.name] = Object.fromEntries(m.entries.map(([kk, v]) => [hex(kk), hex(v)]));
  } else {
    let runOnce: () => RunResult;
    // one setup and `repeat` runs timed on their own (as BPF_PROG_TEST_RUN's duration)
    let runRepeated: (n: number) => RunResult & { nsPerRun: number };
    let vmMaps: readonly BpfMap[];
    const budget = new MemoryBudget(numberOption(args, 'max-memory', DEFAULT_MAP_MEMORY >> 20) * (1 << 20));
    if (engine === 'jit') {
      const url = new URL('../../jit/index.js', import.meta.url);
      if (!existsSync(fileURLToPath(url)) && !existsSync(fileURLToPath(url).replace(/\.js$/, '.ts'))) throw new InputError('unsupported', 'run: --engine jit is not available (src/jit is not built yet)');
      const mod = (await import(url.href)) as Record<string, unknown>;
      const Jit = mod['Jit'];
      if (typeof Jit !== 'function') throw new InputError('unsupported', 'run: --engine jit is not available (src/jit exports no Jit)');
      // trusted code skips the checks: only for programs the verifier accepted
      const mode = args.flags.has('trusted') && !args.flags.has('no-verify') ? 'trusted' : 'checked';
      type JitRun = RunResult & { jit?: unknown };
      const jit = withMapErrors(path, () => new (Jit as new (p: Program, o: { mode: string; memoryBudget: MemoryBudget; cpus?: number }) => { maps: readonly BpfMap[]; run: (i: RunInput) => JitRun; runRepeated?: (i: RunInput, n: number) => JitRun & { nsPerRun: number } })(program, { mode, memoryBudget: budget, ...(cpus !== undefined && { cpus }) }));
      vmMaps = jit.maps;
      runOnce = () => { const r = jit.run(input); jitStats = r.jit; return r; };
      const rr = jit.runRepeated?.bind(jit);
      runRepeated = rr ? (n) => { const r = rr(input, n); jitStats = r.jit; return r; } : timedLoop(runOnce);
    } else {
      const vm = withMapErrors(path, () => new Vm(program, { memoryBudget: budget, ...(cpus !== undefined && { cpus }) }));
      vmMaps = vm.maps;
      runOnce = () => vm.run(input);
      runRepeated = (n) => vm.runRepeated(input, n);
    }
    for (const f of fills) {
      const m = vmMaps.find((x) => x.spec.name === f.map)!;
      try { m.update(f.key, f.value, 0); } catch (e) { if (e instanceof MemoryBudgetError) throw e; throw new InputError('map', `run: --map ${f.map}: ${(e as Error).message}`); }
    }
    const { iterationRunner } = await import('./run-iter.js');
    const iter = iterationRunner(program, input, runOnce);
    if (iter) { const t0 = process.hrtime.bigint(); res = iter(); nsPerRun = Number(process.hrtime.bigint() - t0); }
    else if (repeat > 1) { const r = runRepeated(repeat); res = r; nsPerRun = r.nsPerRun; }
    else { const t0 = process.hrtime.bigint(); res = runOnce(); nsPerRun = Number(process.hrtime.bigint() - t0); }
    maps = vmMaps;
  }

  const action = returnName(program.type, res.r0);
  const { drainRecords } = await import('./run-iter.js');
  const records = drainRecords(maps);
  if (json) {
    io.out(JSON.stringify({
      file: path, program: program.name, type: program.type, engine, r0: res.r0.toString(), ...(action !== undefined && { action }),
      ...(res.fault && { fault: res.fault.toJSON() }), ...(res.error && { error: res.error.toJSON() }),
      ...(res.ldAbsExit !== undefined && { ldAbsExit: res.ldAbsExit }),
      steps: res.steps, repeat, nsPerRun, trace: res.trace, ...(res.seq !== undefined && { seq: res.seq }), ...(res.packet && { packet: hex(res.packet) }),
      ...(res.redirect && { redirect: { ifindex: res.redirect.ifindex, flags: res.redirect.flags.toString() } }),
      ...(records && { records }), maps: kernelMaps ?? dumpProcessMaps(maps, 4096), ...(jitStats !== undefined && { jit: jitStats }),
    }) + '\n');
  } else {
    if (res.fault) { io.err(`bpflab: run: ${path}: ${res.fault.message}\n`); return 1; }
    if (res.error) { io.err(`bpflab: run: ${path}: ${res.error.message}\n`); return res.error.kind === 'unsupported' || res.error.kind === 'unknown_helper' ? 2 : 1; }
    for (const line of res.trace) io.err(`trace: ${line}\n`);
    for (const [m, rs] of Object.entries(records ?? {})) for (const r of rs) io.err(`record ${m}: ${r}\n`);
    if (res.seq !== undefined) io.err(res.seq.split('\n').filter((l, i, a) => l || i < a.length - 1).map((l) => `seq: ${l}\n`).join(''));
    io.out(`${res.r0}\n`);
    if (action !== undefined) io.err(`${action}\n`);
  }
  return res.fault || res.error ? 1 : 0;
}

/** Creating the maps as BPF_MAP_CREATE would: a map the kernel refuses is bad input, named with its errno. */
function withMapErrors<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof MapError) throw new InputError('map', `run: ${path}: ${e.message} (${e.errno})`);
    // refused when linking (before any instruction runs): an ld_imm64 the VM cannot give a value, a jump out of the program
    if (e instanceof VmError) throw new InputError(e.kind, `run: ${path}: ${e.message}`);
    throw e;
  }
}

/** Runs the verifier first, as the kernel would at load; reports a rejection (true) the way `run` does. */
function rejectedBy(program: Program, path: string, io: Io, json: boolean, engine = 'vm'): boolean {
  const v = verify(program);
  if (v.verdict !== 'reject') return false;
  const msg = v.error ? `insn ${v.error.pc}: ${v.error.message}` : 'rejected';
  if (json) io.out(JSON.stringify({ file: path, program: program.name, type: program.type, engine, verdict: 'reject', error: v.error }) + '\n');
  else io.err(`bpflab: run: ${path}: the verifier rejects ${program.name}: ${msg} (use --no-verify to run it anyway)\n`);
  return true;
}

/** --repeat for an engine without a repeat entry point: the whole run (setup included) n times. */
function timedLoop(runOnce: () => RunResult): (n: number) => RunResult & { nsPerRun: number } {
  return (n) => {
    const t0 = process.hrtime.bigint();
    let res = runOnce();
    let done = 1;
    for (; done < n && !res.fault && !res.error; done++) res = runOnce();
    return { ...res, nsPerRun: Number(process.hrtime.bigint() - t0) / done };
  };
}
