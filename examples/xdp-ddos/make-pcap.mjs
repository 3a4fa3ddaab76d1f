// Writes flood.pcap: 1,000 packets from 100 well-behaved sources (10 each, IPv4 and IPv6) mixed
// with a UDP flood of 700 packets from each of two sources, all within half a second. With a
// budget of 100 packets per source per second, xdp_ddos drops 2 x 600 = 1,200 of the 2,400
// packets: half. Run after `npm run build`: node examples/xdp-ddos/make-pcap.mjs
import { writeFileSync } from 'node:fs';
import { ETH_P, IPPROTO, ethernet, ipv4, ipv6, seededRandom, tcp, udp } from '../../dist/inputs/craft.js';
import { writePcap } from '../../dist/inputs/pcap.js';

const rnd = seededRandom(2026);
const dst4 = Uint8Array.of(192, 0, 2, 10), dst6 = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10);
const frames = [];
for (let s = 0; s < 100; s++) {
  for (let i = 0; i < 10; i++) {
    if (s % 4 === 3) {
      const src = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, s);
      frames.push(ethernet(ETH_P.IPV6, ipv6({ src, dst: dst6, next: IPPROTO.TCP }, tcp({ src, dst: dst6 }, 40000 + s, 443, new Uint8Array(0), 0x02))));
    } else {
      const src = Uint8Array.of(198, 51, 100, s);
      frames.push(ethernet(ETH_P.IP, ipv4({ src, dst: dst4, proto: IPPROTO.TCP, id: s * 10 + i }, tcp({ src, dst: dst4 }, 40000 + s, 443, new Uint8Array(0), 0x02))));
    }
  }
}
for (const last of [66, 77]) {
  const src = Uint8Array.of(203, 0, 113, last);
  for (let i = 0; i < 700; i++) frames.push(ethernet(ETH_P.IP, ipv4({ src, dst: dst4, proto: IPPROTO.UDP, id: i }, udp({ src, dst: dst4 }, 1024 + i, 53, new Uint8Array(32)))));
}
// shuffle (Fisher-Yates, seeded) and space the packets 200 µs apart
for (let i = frames.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [frames[i], frames[j]] = [frames[j], frames[i]]; }
const t0 = 1_765_000_000_000_000_000n;
writeFileSync(new URL('./flood.pcap', import.meta.url), writePcap(frames.map((data, i) => ({ tsNs: t0 + BigInt(i) * 200_000n, data }))));
console.log(`wrote flood.pcap: ${frames.length} packets`);
