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
