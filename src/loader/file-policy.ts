/**
 * How bpflab reads files it is pointed at, so that a hostile input cannot make it read a host
 * secret, block on a FIFO or swallow /dev/zero:
 * - readBoundedFile: any file the user named; opened without blocking, read up to a size cap.
 * - readIncludedFile: a file named *inside* an input (`-- mem @ FILE` in a .data file): relative
 *   to the including file's folder, not outside it (absolute paths, `..`, symlinks out) unless
 *   the user allowed it, regular files only, size-capped. Errors say why, naming the file.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/** Largest main input read (an ELF object, an assembly file). */
export const MAX_INPUT_BYTES = 256 << 20;
/** Largest file an input may include (conformance bodies, packets, contexts). */
export const MAX_INCLUDED_BYTES = 16 << 20;

export interface ReadLimits {
  /** Refuse anything but a regular file (FIFOs, devices, sockets, directories). */
  regularOnly?: boolean;
  /** Refuse files larger than this many bytes (default MAX_INPUT_BYTES). */
  maxBytes?: number;
}

/** Why a file could not be read, as a short phrase (the caller names the file). */
export class FileRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FileRefused';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links', ENOTDIR: 'a path component is not a directory', ENXIO: 'no reader or device',
  ENAMETOOLONG: 'name too long', EAGAIN: 'no data available without blocking',
};

export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code ? (ERRNO_TEXT[code] ?? code) : e instanceof Error ? e.message : String(e);
}

/**
 * Reads `path` without blocking on open (O_NONBLOCK), refusing non-regular files when asked and
 * anything over the size cap (checked while reading, so /proc files and pipes are bounded too).
 */
export function readBoundedFile(path: string, limits: ReadLimits = {}): Uint8Array {
  const max = limits.maxBytes ?? MAX_INPUT_BYTES;
  if (path === '-') return readFd(0, max);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw new FileRefused(errnoText(e));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FileRefused('is a directory');
    if (limits.regularOnly && !st.isFile()) throw new FileRefused(`not a regular file (${fileKind(st)})`);
    if (st.isFile() && st.size > max) throw new FileRefused(`${st.size} bytes, larger than the limit of ${max} bytes`);
    if (st.isFIFO()) {
      // A pipe the user named (`verify <(cat x.o)`): read it as `cat` would, blocking for the writer.
      closeSync(fd);
      fd = -1;
      try { fd = openSync(path, constants.O_RDONLY); } catch (e) { throw new FileRefused(errnoText(e)); }
    }
    return readFd(fd, max);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Reads `fd` to its end, refusing more than `max` bytes. */
function readFd(fd: number, max: number): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      throw new FileRefused(errnoText(e));
    }
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
    if (total > max) throw new FileRefused(`larger than the limit of ${max} bytes`);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

function fileKind(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

export interface IncludePolicy {
  /** Allow absolute paths and paths leaving the including file's folder (--allow-outside-files). */
  allowOutside?: boolean;
  /** Size cap (default MAX_INCLUDED_BYTES). */
  maxBytes?: number;
}

/** The option that lifts the folder restriction, for messages. */
export const ALLOW_OUTSIDE_OPTION = '--allow-outside-files';

/**
 * Reads `name`, named inside the file `includer`, under the include policy. Throws FileRefused
 * with the reason (the caller adds the includer's name and line).
 */
export function readIncludedFile(name: string, includer: string, policy: IncludePolicy = {}): Uint8Array {
  const dir = dirname(resolve(includer));
  const target = resolve(dir, name);
  if (!policy.allowOutside) {
    if (isAbsolute(name) || !inside(dir, target)) throw new FileRefused(`outside the folder of the including file (pass ${ALLOW_OUTSIDE_OPTION} to allow)`);
    // A symbolic link inside the folder must not lead out of it either.
    let real: string, realDir: string;
    try {
      real = realpathSync(target);
      realDir = realpathSync(dir);
    } catch (e) {
      throw new FileRefused(errnoText(e));
    }
    if (!inside(realDir, real)) throw new FileRefused(`a link to ${real}, outside the folder of the including file (pass ${ALLOW_OUTSIDE_OPTION} to allow)`);
  }
  return readBoundedFile(target, { regularOnly: true, maxBytes: policy.maxBytes ?? MAX_INCLUDED_BYTES });
}

function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
