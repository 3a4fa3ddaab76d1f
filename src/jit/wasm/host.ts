/**
 * The host's WebAssembly API, typed locally: the project compiles against lib es2023 (no DOM
 * lib, where TypeScript keeps these types), so the JIT declares the small part it uses.
 */
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
export interface WasmTable { readonly length: number; grow(n: number): number; get(i: number): unknown; set(i: number, f: unknown): void }
export interface WasmGlobal { value: number | bigint }
export type WasmImportValue = WasmMemory | WasmTable | WasmGlobal | number | ((...args: number[]) => number | void) | ((...args: bigint[]) => number | void);
export interface WasmModule { readonly __brand?: 'WasmModule' }
export interface WasmInstance { readonly exports: Record<string, unknown> }

interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
  Table: new (d: { element: 'anyfunc'; initial: number }) => WasmTable;
  Global: new (d: { value: 'i32' | 'i64'; mutable: boolean }, v: number | bigint) => WasmGlobal;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, WasmImportValue>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

export const Wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
