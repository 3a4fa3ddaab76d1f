/**
 * check_packet_access on a packet pointer known to lie beyond data_end (range BEYOND_PKT_END,
 * after `if r4 > data_end` is taken): the kernel skips __check_mem_access for a negative range, so
 * its log has only "R4 offset is outside of the packet", not the "invalid access to packet"
 * line. Found on CentaurusInfra/mizar's transit XDP program built with clang-14 (/tmp/h14:
 * same verdict and processed count, bpflab's message was the other line).
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('packet access beyond data_end');

const path = 'test/fixtures/pkt-end/beyond_end.o';

describe('packet access beyond data_end', () => {
  it("reports only the outside offset, as the kernel's check_packet_access does", async () => {
    const p = (await loadFile(path, new Uint8Array(readFileSync(path))))[0]!;
    expectVerdict(p, ['reject', 'R4 offset is outside of the packet']);
  });
});
