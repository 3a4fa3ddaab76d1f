/**
 * V8 settings for fuzz campaigns. A fresh isolate (every worker thread, every new process)
 * spends its first tens of seconds of CPU in TurboFan, on V8's helper threads: fuzzing keeps
 * reaching verifier and VM paths that had no type feedback when their function was optimised,
 * each such path deoptimises it, and the function is compiled again -- with everything inlined
 * into it. Measured on a cold worker (6,000 guided sanitize programs, Node 20): helper-thread
 * CPU 4.6-4.9 s against 4.3-4.9 s on the worker thread itself, 35% of the process's samples in
 * compiler:: code. With one worker that CPU runs on the idle core for free; with one worker per
 * core it is taken from the other worker, so it bounds `--workers N` scaling.
 *
 * A smaller cumulative inlining budget makes every (re)compilation smaller: helper CPU fell to
 * 3.3-3.5 s (-28%) on the same programs with the worker thread's own CPU unchanged, and the warm
 * steady state (0.61 ms per program) unchanged too. V8 flags are per process: the setting is made
 * while campaigns run and undone after the last one, and a value the user gave node is kept.
 *
 * Measured and not adopted (session 16, bench/worker-scaling.js, fixed work, paired runs): a larger
 * young generation per worker (resourceLimits.maxYoungGenerationSizeMb 192, or
 * --max-semi-space-size=64: GC is about 0.4 s of a cold worker's 3 s of helper CPU), worker
 * processes instead of threads (the same worker and helper CPU, plus a main thread each), and
 * V8 flags a worker process could have: --interrupt-budget x4 cuts helper CPU by 0.6-1.0 s but
 * adds 1.0-1.9 s to the worker thread (code runs unoptimised for longer): the 2/1 ratio rose
 * 1.38 -> 1.58x while throughput fell, 1,592 -> 1,330 programs/s with one worker and 2,202 ->
 * 2,106 with two (15,000 programs per worker, run side by side); --maglev, a smaller
 * --max-inlined-bytecode-size, --minimum-invocations-after-ic-update, --no-lazy-feedback-allocation,
 * and --always-sparkplug changed neither, a cumulative budget of 150 not the 2-worker throughput
 * (helper CPU -7%, within the noise of the worker threads'). Verifying warm-up programs
 * (the seed programs, or 400 of a guided corpus) in each worker before its campaign added CPU on
 * both. What remains is TurboFan recompiling verifier functions after deopts on paths a guided
 * campaign reaches for the first time (about half of compile time after the first few thousand
 * programs, ~150 distinct sites): `--phases` there shows the helper share falling from 90% to
 * 15-20% over 15,000 programs, not to zero.
 */
import { setFlagsFromString } from 'node:v8';

const FLAG = '--max-inlined-bytecode-size-cumulative';
/** V8's default (Node 20 / V8 11.3). */
const V8_DEFAULT = 920;
/** Measured best of 150 / 300 / 500 / 920 (see above). */
const CAMPAIGN_VALUE = 300;

/** The value given on node's command line or in NODE_OPTIONS, if any. */
function userValue(): string | undefined {
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  const given = args.find((a) => a.replace(/_/g, '-').startsWith(`${FLAG}=`));
  return given?.slice(given.indexOf('=') + 1);
}

/**
 * A campaign setting over `apply` (which sets one V8 flag): acquire() sets the campaign value
 * until the returned release is called; acquisitions nest, the last release restores V8's
 * default. With `userGiven` nothing is changed.
 */
export function campaignTuning(apply: (flag: string) => void, userGiven: boolean): { acquire(): () => void } {
  let users = 0;
  return {
    acquire() {
      if (userGiven) return () => {};
      if (users++ === 0) apply(`${FLAG}=${CAMPAIGN_VALUE}`);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (--users === 0) apply(`${FLAG}=${V8_DEFAULT}`);
      };
    },
  };
}

const processTuning = campaignTuning((flag) => {
  try { setFlagsFromString(flag); } catch { /* another host: V8's inlining as it is */ }
}, userValue() !== undefined);

/** Sets the campaign inlining budget (process-wide) until the returned function is called (see campaignTuning). */
export function tuneV8ForCampaign(): () => void {
  return processTuning.acquire();
}
