/** The live-kernel oracle: bpf() through koffi (maps, program load with the verifier log, test runs). */
export { kernelAvailable, type KernelAvailability } from './available.js';
export { KernelError } from './errors.js';
export {
  KernelMap,
  mapCreate,
  mapCreateFd,
  mapUpdate,
  mapLookup,
  mapLookupAndDelete,
  mapDelete,
  mapNextKey,
  mapFreeze,
  possibleCpus,
  userValueSize,
  hostMapSpec,
  mapUsesBtf,
  mapInfo,
  type KernelMapInfo,
} from './maps.js';
export { btfLoad, encodeCoreRelos, encodeFuncInfo, encodeLineInfo, type BtfLoadResult } from './btf.js';
export {
  progLoad,
  progTestRun,
  runInKernel,
  patchMapFds,
  createProgramMaps,
  dumpable,
  type ProgLoadOptions,
  type ProgLoadResult,
  type TestRunOptions,
  type TestRunResult,
  type MapFill,
  type TailCallFill,
  type KernelRunInput,
  type KernelRunResult,
} from './prog.js';
export { closeFd, errnoName, BPF_CMD } from './syscall.js';
export { LoadedProgram } from './loaded.js';
export { onCpu, onOneCpu } from './affinity.js';
export { withSyscallDeadline, prepareSyscallDeadlines, syscallDeadlineUnavailable } from './interrupt.js';
