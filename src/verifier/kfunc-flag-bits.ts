/** The kfunc flags of include/linux/btf.h (KF_*), as BTF_ID_FLAGS registers them with a kfunc. */
export const KF_ACQUIRE = 1 << 0;
export const KF_RELEASE = 1 << 1;
export const KF_RET_NULL = 1 << 2;
export const KF_TRUSTED_ARGS = 1 << 4;
export const KF_SLEEPABLE = 1 << 5;
export const KF_DESTRUCTIVE = 1 << 6;
export const KF_RCU = 1 << 7;
export const KF_ITER_NEW = 1 << 8;
export const KF_ITER_NEXT = 1 << 9;
export const KF_ITER_DESTROY = 1 << 10;
export const KF_RCU_PROTECTED = 1 << 11;
