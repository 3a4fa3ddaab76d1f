import { processIo } from '../../src/cli/main.js';
import { memoryIo, type MemoryIo } from '../../src/cli/io.js';

/** An Io that reads the real file system and keeps what the command prints or writes in memory. */
export function diskIo(): MemoryIo {
  const io = memoryIo();
  io.readFile = (p) => io.files.get(p) ?? processIo.readFile(p);
  return io;
}
