/** Linux errno numbers used by map operations (helpers return them negated). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  /** Kernel-internal "not supported", returned by several map ops to user space as 524. */
  ENOTSUPP: 524,
} as const;
export type ErrnoName = keyof typeof ERRNO;

/** The name of a (positive or negative) errno number; `errno N` when unknown. */
export function errnoNameOf(n: number): string {
  const a = Math.abs(n);
  for (const [k, v] of Object.entries(ERRNO)) if (v === a) return k;
  return `errno ${a}`;
}
