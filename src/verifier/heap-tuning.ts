/**
 * V8 heap tuning for the verifier's allocation pattern: turns off allocation-site pretenuring
 * for the process, once, when the verifier is loaded (before any verification).
 *
 * A verification allocates many short-lived objects (registers, frames, states) from a few
 * allocation sites, and keeps some of them alive for as long as it runs (checkpoints, pending
 * branches). A long verification makes V8 pretenure those sites; from then on every later
 * verification allocates its registers and states directly in the old generation, where only a
 * full GC frees them, and the young objects they point to survive every minor GC with them. Over
 * a fuzz campaign of small programs that made the minor GCs copy most of what each verification
 * allocated: measured, 435 -> 297 us CPU per structured fuzz program and 11 -> 3.5 us per trivial
 * one, with no change on the long pathological programs or the corpus. No verdict depends on it.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
