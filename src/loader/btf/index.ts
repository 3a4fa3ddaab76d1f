/** BTF: the type graph of .BTF and the per-instruction records of .BTF.ext. */
export { Btf, parseBtf, readString } from './btf.js';
export { parseBtfExt, CORE_RELO_KINDS, type BtfExt, type ExtFuncInfo, type ExtLineInfo, type ExtCoreRelo } from './ext.js';
export * from './types.js';
export { funcSignature, funcReturnsScalar, ctxStructName, btfKindStr, type FuncSignature } from './func-params.js';
export { objectBtf, rememberObjectBtf } from './object-btf.js';
export { kernelBtf, type BtfElfFacts, type KernelBtf } from './kernel-btf.js';
export { kcfgType, kconfigLayout, type KcfgType, type KcfgSlot } from './kconfig.js';
