/**
 * A rejected BTF context access (btf_ctx_access) logs two lines in Linux 6.18: the reason
 * (`func 'sched_switch' size 4 must be 8`) and then check_ctx_access's `invalid bpf_context access
 * off=8 size=4`. Compared with the running kernel's log where bpf() is available.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`btf ctx access log: no kernel comparison (${k.reason})`);

const file = fileURLToPath(new URL('../fixtures/btf-ctx/tp_btf_narrow_arg.o', import.meta.url));

/** The log's lines after the failing instruction, up to the statistics. */
const tail = (log: string): string[] => {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => /^0: \(61\)/.test(l));
  return lines.slice(at + 1).filter((l) => l && !/^(verification time|stack depth|processed)/.test(l));
};

describe('log of a refused BTF context access', () => {
  it("prints btf_ctx_access's reason, then the invalid bpf_context access line", async () => {
    const [prog] = await loadFile(file, new Uint8Array(readFileSync(file)));
    const r = verify(prog!, { log: true });
    expect(r.error?.message).toBe("func 'sched_switch' size 4 must be 8");
    const mine = tail(r.log!);
    expect(mine).toEqual(["func 'sched_switch' size 4 must be 8", 'invalid bpf_context access off=8 size=4']);
    if (!k.ok) return;
    const kr = progLoad(prog!, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(mine).toEqual(tail(kr.log));
  });
});
