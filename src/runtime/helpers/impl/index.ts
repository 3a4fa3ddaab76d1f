/**
 * Helper implementations by id: ONE table the VM and the JIT both dispatch on. A helper is
 * `(env) => void`, reading r1..r5 from env.regs and writing r0 there (see runtime/env.ts).
 */
import type { HelperFn } from './common.js';
import * as c from './control.js';
import * as e from './events.js';
import * as m from './maps.js';
import * as k from './machine.js';
import * as pk from './packet.js';
import * as pr from './probe.js';
import * as rt from './route.js';
import * as p from './print.js';
import * as l from './locks.js';
import * as d from './dynptr.js';
import * as st from './strto.js';
import * as sk from './sockets.js';
import * as ss from './sk-storage.js';
import * as kn from './kernel.js';
import * as sc from './syncookie.js';

export type { HelperFn } from './common.js';
export { formatPrintf } from './printf.js';
export { MAX_TAIL_CALLS, BPF_MAX_LOOPS } from './control.js';

const IMPLS: Record<number, HelperFn> = {
  1: m.mapLookupElem, 2: m.mapUpdateElem, 3: m.mapDeleteElem, 87: m.mapPushElem, 88: m.mapPopElem, 89: m.mapPeekElem,
  195: m.mapLookupPercpuElem, 164: m.forEachMapElem,
  4: pr.probeReadCompat, 45: pr.probeReadStrCompat, 112: pr.probeReadUser, 113: pr.probeReadKernel,
  114: pr.probeReadUserStr, 115: pr.probeReadKernelStr,
  5: k.ktimeGetNs, 125: k.ktimeGetBootNs, 160: k.ktimeGetCoarseNs, 208: k.ktimeGetTaiNs, 118: k.jiffies64,
  7: k.getPrandomU32, 8: k.getSmpProcessorId, 42: k.getNumaNodeId,
  14: k.getCurrentPidTgid, 15: k.getCurrentUidGid, 16: k.getCurrentComm, 35: kn.getCurrentTask, 158: kn.getCurrentTask, 147: kn.dPath, 80: k.getCurrentCgroupId,
  37: k.currentTaskUnderCgroup, 33: k.skbUnderCgroup,
  6: p.tracePrintk, 126: p.seqPrintf, 127: p.seqWrite, 177: p.traceVprintk, 165: p.snprintf,
  12: c.tailCall, 181: c.loop,
  25: e.perfEventOutput, 130: e.ringbufOutput, 131: e.ringbufReserve, 132: e.ringbufSubmit, 133: e.ringbufDiscard,
  134: e.ringbufQuery, 27: e.getStackid, 67: e.getStack,
  26: pk.skbLoadBytes, 68: pk.skbLoadBytesRelative, 9: pk.skbStoreBytes, 10: pk.l3CsumReplace, 11: pk.l4CsumReplace,
  28: pk.csumDiff, 40: pk.csumUpdate, 23: pk.redirect, 51: pk.redirectMap, 34: pk.getHashRecalc, 41: pk.setHashInvalid,
  48: pk.setHash, 46: pk.getSocketCookie, 47: pk.getSocketUid, 17: pk.getCgroupClassid, 24: pk.getRouteRealm,
  13: pk.cloneRedirect, 38: pk.skbChangeTail, 39: pk.skbPullData, 20: pk.skbGetTunnelKey, 122: pk.getNetnsCookie,
  44: pk.xdpAdjustHead, 54: pk.xdpAdjustMeta, 65: pk.xdpAdjustTail, 188: pk.xdpGetBuffLen, 189: pk.xdpLoadBytes, 190: pk.xdpStoreBytes,
  50: pk.skbAdjustRoom, 69: rt.fibLookup, 192: pk.skbSetTstamp, 119: e.readBranchRecords,
  110: sc.tcpGenSyncookie, 100: sc.tcpCheckSyncookie, 204: sc.tcpRawGenSyncookie, 205: sc.tcpRawGenSyncookie,
  206: sc.tcpRawCheckSyncookie, 207: sc.tcpRawCheckSyncookie,
  93: l.spinLock, 94: l.spinUnlock,
  197: d.dynptrFromMem, 198: d.ringbufReserveDynptr, 199: d.ringbufSubmitDynptr, 200: d.ringbufDiscardDynptr,
  201: d.dynptrRead, 202: d.dynptrWrite, 203: d.dynptrData,
  105: st.strtol, 106: st.strtoul,
  84: sk.skLookupTcp, 85: sk.skLookupUdp, 99: sk.skcLookupTcp, 86: sk.skRelease, 95: sk.skFullsock, 96: sk.tcpSock, 98: sk.getListenerSock,
  107: ss.skStorageGet, 108: ss.skStorageDelete,
};

/** helpers[id]: the implementation of helper `id`, undefined when bpflab has none. */
export const HELPERS: readonly (HelperFn | undefined)[] = (() => {
  const a: (HelperFn | undefined)[] = new Array<HelperFn | undefined>(256).fill(undefined);
  for (const [id, fn] of Object.entries(IMPLS)) a[Number(id)] = fn;
  return a;
})();

/** Ids of the helpers bpflab implements. */
export const IMPLEMENTED_HELPERS: readonly number[] = Object.keys(IMPLS).map(Number).sort((x, y) => x - y);
