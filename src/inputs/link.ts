/**
 * Link layers of captured packets, seen the way XDP and tc programs see traffic: as Ethernet
 * frames. Linux cooked captures (tcpdump -i any: SLL and SLL2) and raw-IP captures get an
 * Ethernet header made from what the capture says (protocol, source address), so a program
 * written for an Ethernet device runs on them unchanged.
 */
import { InputError } from '../isa/errors.js';
import { LINKTYPE, type CapturedPacket } from './pcap.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
/** DLT_RAW as some platforms number it in captures (OpenBSD 14, others 12): raw IP. */
const RAW_ALIASES = new Set<number>([LINKTYPE.RAW, LINKTYPE.IPV4, LINKTYPE.IPV6, 12, 14]);

export const LINK_NAMES: Record<number, string> = {
  [LINKTYPE.ETHERNET]: 'Ethernet',
  [LINKTYPE.LINUX_SLL]: 'Linux cooked v1',
  [LINKTYPE.LINUX_SLL2]: 'Linux cooked v2',
  [LINKTYPE.RAW]: 'raw IP',
  [LINKTYPE.IPV4]: 'raw IPv4',
  [LINKTYPE.IPV6]: 'raw IPv6',
};

/** Whether the link type can be turned into Ethernet frames. */
export function linkSupported(linkType: number): boolean {
  return linkType === LINKTYPE.ETHERNET || linkType === LINKTYPE.LINUX_SLL || linkType === LINKTYPE.LINUX_SLL2 || RAW_ALIASES.has(linkType);
}

function ethernet(dst: Uint8Array | null, src: Uint8Array | null, proto: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  if (dst) f.set(dst.subarray(0, 6), 0);
  if (src) f.set(src.subarray(0, 6), 6);
  f[12] = proto >> 8;
  f[13] = proto & 0xff;
  f.set(payload, 14);
  return f;
}

/**
 * The packet as an Ethernet frame (the captured bytes themselves for Ethernet captures). Throws
 * InputError naming the file and record for an unsupported link type or a header cut short.
 */
export function toEthernet(p: CapturedPacket, file: string): Uint8Array {
  const d = p.data;
  const where = `${file}: record ${p.index} at byte offset ${p.offset}`;
  switch (p.linkType) {
    case LINKTYPE.ETHERNET:
      return d;
    case LINKTYPE.LINUX_SLL: {
      if (d.length < 16) throw new InputError('pcap_malformed', `${where}: Linux cooked header cut short (${d.length} of 16 bytes)`);
      const halen = Math.min((d[4]! << 8) | d[5]!, 8);
      return ethernet(null, halen >= 6 ? d.subarray(6, 12) : null, (d[14]! << 8) | d[15]!, d.subarray(16));
    }
    case LINKTYPE.LINUX_SLL2: {
      if (d.length < 20) throw new InputError('pcap_malformed', `${where}: Linux cooked v2 header cut short (${d.length} of 20 bytes)`);
      const halen = Math.min(d[11]!, 8);
      return ethernet(null, halen >= 6 ? d.subarray(12, 18) : null, (d[0]! << 8) | d[1]!, d.subarray(20));
    }
    default:
      if (RAW_ALIASES.has(p.linkType)) {
        const v = d.length ? d[0]! >> 4 : 0;
        const proto = p.linkType === LINKTYPE.IPV6 || v === 6 ? ETH_P_IPV6 : ETH_P_IP;
        return ethernet(null, null, proto, d);
      }
      throw new InputError('pcap_unsupported', `${where}: link type ${p.linkType} is not supported (Ethernet, Linux cooked v1/v2, raw IP)`);
  }
}
