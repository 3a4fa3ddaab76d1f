/**
 * Recording real events: `trace record` attaches bpflab's recorder programs to the execve
 * tracepoints while the test spawns processes, and the recorded trace replays through the
 * execsnoop-like example, one decoded event per spawned process with its comm and file name.
 * Needs root, bpf() and tracefs; skips with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatTraceEvent, readTrace } from '../../src/inputs/trace.js';
import { kernelAvailable } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { runTrace } from '../../src/replay/trace-run.js';
import { recordTrace, recorderSource, planHook } from '../../src/trace/record.js';
import { tracefsRoot } from '../../src/trace/tracefs.js';
import { verify } from '../../src/verifier/index.js';
import { loadAsmProgram } from '../../src/loader/asm.js';

function tracefsReady(): string | null {
  const k = kernelAvailable();
  if (!k.ok) return k.reason;
  if (tracefsRoot()) return null;
  // as root, mount it the way `perf` documents; a host without tracefs skips
  spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
  return tracefsRoot() ? null : 'tracefs is not mounted and could not be mounted';
}
const why = tracefsReady();
if (why) console.log(`skip: trace record not tested (${why})`);

const dir = mkdtempSync(join(tmpdir(), 'bpflab-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(why !== null)('trace record on the execve tracepoints', () => {
  test('the recorder programs bpflab loads pass bpflab\'s own verifier', () => {
    for (const hook of ['tracepoint/syscalls/sys_enter_execve', 'syscalls:sys_exit_execve']) {
      const p = loadAsmProgram(recorderSource(planHook(hook), 0), 'rec.s', {});
      expect(verify(p).verdict).toBe('accept');
    }
  });

  test('records every spawned process, and the trace replays through the execsnoop example', async () => {
    const names = ['bpflab-probe-a', 'bpflab-probe-bb', 'bpflab-probe-ccc'];
    for (const n of names) copyFileSync('/bin/true', join(dir, n));
    const lines: string[] = [];
    await recordTrace(['tracepoint/syscalls/sys_enter_execve', 'tracepoint/syscalls/sys_exit_execve'], {
      seconds: 2,
      onAttached: () => { for (const n of names) spawnSync(join(dir, n), [], { stdio: 'ignore' }); },
      onEvent: (ev) => lines.push(formatTraceEvent(ev)),
    });
    const events = readTrace(new TextEncoder().encode(lines.join('\n')), 'recorded.jsonl');
    expect(events.some((e) => e.hook === 'tracepoint/syscalls/sys_exit_execve')).toBe(true);
    const obj = 'examples/execsnoop/execsnoop.o';
    const r = await runTrace(await loadFile(obj, new Uint8Array(readFileSync(obj)), {}), events, obj);
    expect(r.errors).toEqual([]);
    for (const n of names) {
      const mine = r.outputs.filter((o) => (o.data as { filename?: string }).filename === join(dir, n));
      expect(mine, n).toHaveLength(1);
      expect(mine[0]!.data).toMatchObject({ comm: n.slice(0, 15), retval: 0, uid: process.getuid?.() ?? 0 });
    }
    expect(existsSync(join(dir, names[0]!))).toBe(true);
  });
});
