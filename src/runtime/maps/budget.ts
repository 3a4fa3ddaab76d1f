/**
 * The memory bpflab's maps may take in one run (`run --max-memory`). Maps allocate lazily (array
 * values by chunk on first use, hash and queue elements on insert, fd-array slots on update) and
 * charge what they allocate here; going over the budget is a MemoryBudgetError, which the CLI
 * reports as one line (exit 2) instead of letting the process grow until the OS or V8 kills it.
 */
import { InputError } from '../../isa/errors.js';

/** Default budget: far below any machine bpflab runs on, far above any real program's maps. */
export const DEFAULT_MAP_MEMORY = 1024 * 1024 * 1024;

export class MemoryBudgetError extends InputError {
  constructor(message: string) {
    super('memory_budget', message);
    this.name = 'MemoryBudgetError';
  }
}

export class MemoryBudget {
  private usedBytes = 0;
  constructor(readonly limit: number = DEFAULT_MAP_MEMORY) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Takes `bytes` for `what`, or throws MemoryBudgetError naming it and the limit. */
  charge(bytes: number, what: string): void {
    if (this.usedBytes + bytes > this.limit)
      throw new MemoryBudgetError(`${what}: needs ${bytes} more bytes, over the memory budget of ${mib(this.limit)} (${mib(this.usedBytes)} in use; raise it with --max-memory MiB)`);
    this.usedBytes += bytes;
  }

  /**
   * Takes `bytes` when they fit and says whether they did, without naming what takes them: a map
   * charging per element calls `charge` (which throws with the name) only when this says no,
   * instead of building the name's string for every element.
   */
  tryCharge(bytes: number): boolean {
    if (this.usedBytes + bytes > this.limit) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** Gives back `bytes` (an element deleted). */
  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB` : `${n} bytes`;
}
