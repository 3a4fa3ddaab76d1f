/**
 * Scalar abstract domains of the verifier: the kernel's tnum x ranges reduced product (default),
 * tnum-only and interval-only variants, all written over a bit-vector algebra so that
 * src/smt proves the same code that runs.
 */
export type { Algebra, BV, BVx } from './algebra.js';
export { extend } from './algebra.js';
export { bigintAlgebra, bvx, signed } from './bigint.js';
export { tnumOps, type Tnum, type TnumOps } from './tnum.js';
export { REG_FIELDS, HALF_FIELDS, copyReg, type Reg } from './scalar.js';
export { makeKernel, type Kernel } from './kernel.js';
export { ALU_OPS, type AluOp } from './alu.js';
export { JMP_OPS, revOpcode, flipOpcode, type JmpOp, type CondOp, type Refined } from './branch.js';
export { scaledBits } from './casts.js';
export {
  DOMAIN_NAMES, K64, formatScalar, getDomain, kernelDomain, kernelDomainOf, tnumDomainOf, intervalDomainOf,
  type DomainName, type Scalar, type ScalarDomain,
} from './domain.js';
