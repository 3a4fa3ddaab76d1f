/**
 * The default kernel world replayed from its image (runtime/kernel-objects/instance.ts): a run
 * that builds the default world at the same region as an earlier run gets copies of the bytes
 * built then, which must be the world a fresh build gives -- same regions, same objects, same
 * Task read back -- and must not carry what the earlier run changed or added.
 */
import { describe, expect, it } from 'vitest';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import { DEFAULT_TASK, type HelperEnv } from '../../src/runtime/env.js';
import { buildWorld } from '../../src/runtime/kernel-objects/world.js';
import { defaultWorld, DEFAULT_OBJECT_NAMES } from '../../src/runtime/kernel-objects/default-world.js';
import { kernelWorld, taskOfWorld } from '../../src/runtime/kernel-objects/index.js';
import { Memory } from '../../src/runtime/memory.js';

const btf = readTargetBtf(RUNNING_KERNEL_BTF);
if (typeof btf === 'string') console.log(`skip world images: ${btf}`);

/** The part of a HelperEnv kernelWorld reads. */
function env(mem: Memory, pid: number): HelperEnv {
  return { mem, program: { name: 'p', section: '', type: 'kprobe', license: 'GPL', maps: [], insns: [] }, task: { ...DEFAULT_TASK, pid, tgid: pid }, pc: 0 } as unknown as HelperEnv;
}

describe.skipIf(typeof btf === 'string')('default world images', () => {
  it('a replayed world has the regions, objects and Task of a fresh build, without what an earlier run changed', () => {
    const b = btf as Exclude<typeof btf, string>;
    const pid = 31337;
    // the first run builds (and captures) it, then changes its world: a byte and an added object
    const first = env(new Memory(), pid);
    const w1 = kernelWorld(first);
    w1.objects.get('current')!.bytes[0] ^= 0xff;
    w1.add('extra', w1.objects.get('cred')!.typeId);
    const second = env(new Memory(), pid);
    const w2 = kernelWorld(second);
    // a fresh build of the same world at the same region, for comparison
    const mem3 = new Memory();
    const w3 = buildWorld(mem3, b, defaultWorld({ ...DEFAULT_TASK, pid, tgid: pid }), { names: DEFAULT_OBJECT_NAMES, user: undefined });
    expect(second.mem.count).toBe(mem3.count);
    for (let id = 0; id < mem3.count; id++) {
      expect(second.mem.kindOf(id)).toBe(mem3.kindOf(id));
      expect([...second.mem.bytes[id]!]).toEqual([...mem3.bytes[id]!]);
    }
    expect([...w2.objects.keys()]).toEqual([...w3.objects.keys()]);
    for (const o of w3.objects.values()) {
      const r = w2.objects.get(o.name)!;
      expect({ name: r.name, typeId: r.typeId, typeName: r.typeName, region: r.region, bytes: [...r.bytes] }).toEqual({ ...o, bytes: [...o.bytes] });
      expect(r.bytes).toBe(second.mem.bytes[r.region]); // the object's bytes are its region's
    }
    expect(w2.objects.has('extra')).toBe(false);
    expect(w2.current?.name).toBe(w3.current?.name);
    expect(w2.objectAt(w3.objects.get('cred')!.region)?.name).toBe('cred');
    expect(second.task).toEqual(taskOfWorld(w3, { ...DEFAULT_TASK, pid, tgid: pid }));
    expect(second.task.pid).toBe(pid);
    // replays share the image's read-only bytes until the runtime writes an object (ownBytes):
    // the write goes to the run's own copy, which the run's memory then holds, and does not reach the next replay
    const cur2 = w2.objects.get('current')!;
    const w5 = kernelWorld(env(new Memory(), pid));
    expect(w5.objects.get('current')!.bytes).toBe(cur2.bytes);
    const shared = cur2.bytes;
    const own = w2.ownBytes(cur2);
    expect(own).not.toBe(shared);
    expect([...own]).toEqual([...shared]);
    own[1] ^= 0xff;
    expect(cur2.bytes).toBe(own);
    expect(second.mem.bytes[cur2.region]).toBe(own);
    expect(second.mem.views[cur2.region]!.getUint8(1)).toBe(own[1]);
    expect(w2.ownBytes(cur2)).toBe(own); // copied once
    const w4 = kernelWorld(env(new Memory(), pid));
    expect(w4.objects.get('current')!.bytes[1]).toBe(w3.objects.get('current')!.bytes[1]);
    expect(w5.objects.get('current')!.bytes[1]).toBe(w3.objects.get('current')!.bytes[1]);
    // another task is another image
    const other = env(new Memory(), pid + 1);
    kernelWorld(other);
    expect(other.task.pid).toBe(pid + 1);
  });
});
