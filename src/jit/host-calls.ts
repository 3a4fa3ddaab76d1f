/**
 * Calls from compiled programs into the host (helper dispatch, memory slow paths, traps, LD_ABS,
 * kfuncs, may_goto's clock) through the runtime's function table instead of function imports.
 *
 * Why: V8 (Node 20) compiles a JS-call wrapper for every distinct signature of a module's
 * function imports when it compiles the module, per module -- about 0.35 ms of CPU for these
 * eight, which was most of the cost of compiling a small program (a fuzzing campaign compiles
 * one module per program). So a runtime instantiates ONE host module that imports the JS
 * functions and puts them in table slots 0..n-1, and every program module defines a small local
 * stub per host call (same signature: params forwarded, `call_indirect` of its slot). The
 * program's code still `call`s a function index with the import's signature, as before.
 */
import { I32, I64, ModuleBuilder, Op, type ValType } from './wasm/index.js';
import { Wasm, type WasmImportValue, type WasmTable } from './wasm/host.js';

export type HostCallName = 'helper' | 'load' | 'store' | 'atomic' | 'trap' | 'ldAbs' | 'kfunc' | 'mayGoto';

/** Each host call's signature, in slot order (slot i of the table holds HOST_CALLS[i]). */
export const HOST_CALLS: readonly { name: HostCallName; params: readonly ValType[]; results: readonly ValType[]; takesProg?: true }[] = [
  { name: 'helper', params: [I32, I32, I32, I32], results: [I32], takesProg: true },
  { name: 'load', params: [I32, I32, I32, I32, I32, I32], results: [] },
  { name: 'store', params: [I32, I32, I32, I32, I32, I32, I32], results: [] },
  { name: 'atomic', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], results: [] },
  { name: 'trap', params: [I32, I32, I32, I32], results: [], takesProg: true },
  { name: 'ldAbs', params: [I32, I32, I32, I32, I32], results: [I32] },
  { name: 'kfunc', params: [I32, I32, I32], results: [], takesProg: true },
  { name: 'mayGoto', params: [I64], results: [I32] },
];

/** Table slots the host calls occupy (a runtime's compiled programs start after them). */
export const HOST_SLOTS = HOST_CALLS.length;

export type HostCallIndices = Record<HostCallName, number>;

/**
 * Defines one stub function per host call in `m` (which imports the runtime's table): the
 * function indices the program's code calls. Must come before the program's own functions.
 * The calls that name their program (last argument: its index in the module's batch) get
 * `progBase` (an imported global: the runtime's id of the batch's first program) added, so
 * that the module's bytes do not depend on the runtime (V8 reuses the compilation of identical
 * bytes, e.g. a program compiled again in a fresh runtime).
 */
export function defineHostStubs(m: ModuleBuilder, progBase: number): HostCallIndices {
  const out = {} as HostCallIndices;
  HOST_CALLS.forEach((h, slot) => {
    const type = m.type(h.params, h.results);
    const { index, code } = m.func(h.params, h.results);
    for (let i = 0; i < h.params.length; i++) code.get(i);
    if (h.takesProg) code.gget(progBase).op(Op.i32_add);
    code.i32(slot).callIndirect(type, 0);
    out[h.name] = index;
  });
  return out;
}

/** Instantiates the host module: the JS functions in `fns` go into slots 0..HOST_SLOTS-1 of `table` (grown for them). */
export function installHostCalls(table: WasmTable, fns: Record<HostCallName, WasmImportValue>): void {
  if (table.length !== 0) throw new Error('jit: host calls must be installed in an empty table');
  const m = new ModuleBuilder();
  const imported = HOST_CALLS.map((h) => m.importFunc('env', h.name, h.params, h.results));
  m.importTable('env', 'table', HOST_SLOTS);
  m.elem(0, imported);
  table.grow(HOST_SLOTS);
  const env: Record<string, WasmImportValue> = { table };
  for (const h of HOST_CALLS) env[h.name] = fns[h.name];
  new Wasm.Instance(new Wasm.Module(m.encode()), { env });
}
