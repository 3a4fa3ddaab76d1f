/**
 * The kernel a program is loaded for, as libbpf sees it at load time: its BTF (CO-RE, `.ksyms`,
 * typed contexts), its release and its build configuration (`.kconfig` externs). By default the
 * running kernel (/sys/kernel/btf/vmlinux, uname, /proc/config.gz or /boot/config-RELEASE);
 * `btf` names another kernel's BTF (a raw vmlinux BTF, or an ELF file carrying .BTF) so that
 * one can ask how an object would load there without running it. Everything is read lazily
 * and cached per path: most objects need none of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../isa/errors.js';
import { parseBtf, type Btf } from './btf/index.js';
import { parseElf, SHT_PROGBITS } from './elf-file.js';

export const RUNNING_KERNEL_BTF = '/sys/kernel/btf/vmlinux';

export interface TargetKernel {
  /** Path of the target BTF. */
  readonly btfPath: string;
  /** Whether the BTF was named explicitly (then failing to read it is an input error). */
  readonly explicit: boolean;
  /** The target BTF, or undefined when the default one cannot be read (see btfError). */
  btf(): Btf | undefined;
  btfError(): string;
  /** The kernel release (uname -r) used for LINUX_KERNEL_VERSION. */
  readonly release: string;
  /** CONFIG_* values of the kernel's build configuration ('y', 'm', 'n', a number or a quoted string); empty when unavailable. */
  kconfig(): ReadonlyMap<string, string>;
}

const btfCache = new Map<string, Btf | string>();

/** Reads a raw BTF file or the .BTF section of an ELF file; caches the result (or the error) per path. */
export function readTargetBtf(path: string): Btf | string {
  const have = btfCache.get(path);
  if (have !== undefined) return have;
  let out: Btf | string;
  try {
    const bytes = new Uint8Array(readFileSync(path));
    const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
    if (isElf) {
      const elf = parseElf(bytes, path);
      const sec = elf.byName('.BTF');
      if (!sec || sec.type !== SHT_PROGBITS) throw new InputError('core', `${path}: ELF file without a .BTF section`);
      out = parseBtf(elf.data(sec), path, sec.offset);
    } else out = parseBtf(bytes, path, 0, { lazy: path === RUNNING_KERNEL_BTF }); // the kernel checked its own BTF
  } catch (e) {
    if (e instanceof InputError) out = e.message;
    else out = `cannot read target BTF ${path}: ${(e as Error).message}`;
  }
  btfCache.set(path, out);
  return out;
}

let kconfigCache: Map<string, string> | undefined;

/** libbpf's bpf_object__read_kconfig_file: /boot/config-RELEASE, else /proc/config.gz. */
function runningKconfig(rel: string): Map<string, string> {
  if (kconfigCache) return kconfigCache;
  const out = new Map<string, string>();
  let text = '';
  try {
    const boot = `/boot/config-${rel}`;
    if (existsSync(boot)) text = readFileSync(boot, 'utf8');
    else if (existsSync('/proc/config.gz')) text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    text = '';
  }
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
    const n = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (n) out.set(n[1]!, 'n');
  }
  kconfigCache = out;
  return out;
}

/** The target kernel for a load: `btf` (or the older `core` path) names its BTF, else the running kernel. */
export function targetFor(opts: { btf?: string; core?: boolean | string }): TargetKernel {
  const named = opts.btf ?? (typeof opts.core === 'string' ? opts.core : undefined);
  const btfPath = named ?? RUNNING_KERNEL_BTF;
  const explicit = named !== undefined;
  const rel = release();
  return {
    btfPath,
    explicit,
    release: rel,
    btf() {
      const b = readTargetBtf(btfPath);
      if (typeof b === 'string') {
        if (explicit) throw new InputError('core', b);
        return undefined;
      }
      return b;
    },
    btfError() {
      const b = readTargetBtf(btfPath);
      return typeof b === 'string' ? b : '';
    },
    kconfig: () => runningKconfig(rel),
  };
}
