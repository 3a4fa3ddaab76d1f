/**
 * A confirmed finding as a corpus entry: `<name>.expect.json` (verdict, kernel verdict, the
 * recorded input by map name, the `bpflab run` line replaying it and the VM's outcome on it) and
 * `<name>.s`, an exact listing (raw `.insn` slots where no statement expresses the encoding).
 */
import type { FoundBug } from './campaign.js';
import { vmEngine } from './engines.js';
import { expectJson, findingAsm, findingName, runOutcome } from './finding.js';
import { materialize } from './generators/inputs.js';
import type { FindingWriter } from './output.js';
import { FUZZ_MAX_STEPS } from './oracles/types.js';

/** Writes the entry; returns its name and files, or null after telling `onError` why it could not. */
export function writeFinding(writer: FindingWriter, bug: FoundBug, onError: (message: string) => void): { name: string; files: string[] } | null {
  const f = bug.finding;
  if (f.input && f.outcome === undefined) {
    const run = vmEngine(f.program, materialize(f.program, f.input), { maxSteps: FUZZ_MAX_STEPS });
    f.outcome = run.ok ? runOutcome(run.res) : `cannot run: ${run.reason.split('\n')[0]}`;
  }
  try {
    const { name, paths } = writer.write(findingName(bug.signature), (base) => [
      { ext: '.expect.json', data: JSON.stringify(expectJson(f, bug.signature, `${base}.s`), null, 2) + '\n' },
      { ext: '.s', data: findingAsm(f, bug.signature) },
    ]);
    return { name, files: paths };
  } catch (e) {
    onError(`fuzz: ${(e as Error).message}`);
    return null;
  }
}
