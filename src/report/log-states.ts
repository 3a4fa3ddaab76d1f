/**
 * Abstract states per instruction, rebuilt from a verifier log in the Linux kernel's format
 * (`verify(p, { log: true }).log`), so the report can show registers and stack at any pc.
 *
 * The kernel's level-1 log prints a full state where a path starts (`0: R1=ctx() R10=fp0`,
 * `from 7 to 9: R1=...`) and after each instruction only the registers and stack slots it
 * touched (`5: (bf) r4 = r2 ; R2=pkt(r=0) R4=pkt(r=0)`). Replaying those deltas from the last
 * full state gives the whole state before and after every processed instruction.
 *
 * The failing path is the history of the state that failed: exploration is depth first, so a
 * `from A to B` line resumes the most recently pushed branch at A; a conditional jump whose
 * other side was never resumed simply leaves a stale entry that the next pop skips.
 *
 * Two passes keep memory flat for long logs: the first finds the visits and the failing path
 * (pcs only), the second replays states and snapshots just the visits the report shows.
 */

/** One state: register / stack-slot name -> the kernel's text for it ("R1" -> "ctx()"). */
export type StateEntries = [string, string][];

export interface VisitState {
  pc: number;
  /** Call depth (0 = main program). */
  frame: number;
  /** The whole state of the current frame before the instruction. */
  before: StateEntries;
  /** ... and after it (for a conditional jump: on the side the log followed). */
  after: StateEntries;
  /** Names the instruction touched (the kernel's "scratched" registers and slots). */
  changed: string[];
}

export interface LogStates {
  /** pcs of the failing path in execution order (the failing pc last), or null. */
  path: number[] | null;
  /** States along `path` (parallel to it). */
  pathVisits: VisitState[];
  /** The last processed visit of each pc. */
  lastVisit: Map<number, VisitState>;
  /** How many times the log shows each pc processed. */
  visits: Map<number, number>;
  /**
   * true when the log printed the whole state before every instruction (kernel log level 2),
   * so nothing is inferred; false for level-1 deltas, where side effects on registers an
   * instruction did not name (range propagation to same-id packet pointers...) are not seen.
   */
  exact: boolean;
}

type Ev =
  | { t: 'full'; pc: number; state: string }
  | { t: 'from'; from: number; to: number; state: string | null }
  | { t: 'insn'; pc: number; text: string; delta: string }
  | { t: 'safe' };

const RE_INSN = /^(\d+): \(([0-9a-f]{2})\) (.*)$/;
const RE_FULL = /^(\d+): ((?:frame\d+: )?(?:R\d|fp|\[).*)$/;
const RE_FROM = /^from (\d+) to (\d+)(?: \(speculative execution\))?: ?(.*)$/;
const RE_SAFE = /^\d+: safe$/;

function parseLine(line: string): Ev | null {
  let m = RE_INSN.exec(line);
  if (m) {
    const rest = m[3]!;
    const semi = rest.indexOf('; ');
    return semi < 0
      ? { t: 'insn', pc: Number(m[1]), text: rest.trimEnd(), delta: '' }
      : { t: 'insn', pc: Number(m[1]), text: rest.slice(0, semi).trimEnd(), delta: rest.slice(semi + 2) };
  }
  if (RE_SAFE.test(line)) return { t: 'safe' };
  m = RE_FROM.exec(line);
  if (m) {
    const st = m[3]!.trim();
    return { t: 'from', from: Number(m[1]), to: Number(m[2]), state: st === 'safe' ? null : st };
  }
  m = RE_FULL.exec(line);
  if (m) return { t: 'full', pc: Number(m[1]), state: m[2]! };
  return null;
}

/** Splits a state text into `name=value` tokens at parenthesis depth 0 ("frame1:" kept as a token). */
export function splitState(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text[i] : ' ';
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === ' ' && depth === 0) {
      if (i > start) out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** Register and slot names without the liveness suffix the kernel may print (`R2_w` -> `R2`). */
function keyOf(name: string): string {
  return name.replace(/_[wrD]+$/, '');
}

/** Applies `name=value` tokens to `frames` (tokens after `frameN:` go to frame N). Returns the touched names. */
function applyTokens(frames: Map<string, string>[], tokens: string[], reset: boolean): string[] {
  let f = frames.length - 1;
  const touched: string[] = [];
  if (reset) frames[f] = new Map();
  for (const tok of tokens) {
    const fm = /^frame(\d+):$/.exec(tok);
    if (fm) {
      const n = Number(fm[1]);
      while (frames.length <= n) frames.push(new Map());
      frames.length = n + 1;
      f = n;
      if (reset) frames[f] = new Map();
      continue;
    }
    const eq = tok.indexOf('=');
    if (eq <= 0) continue;
    const k = keyOf(tok.slice(0, eq));
    frames[f]!.set(k, tok.slice(eq + 1));
    touched.push(k);
  }
  return touched;
}

/** R0..R10 first (numerically), then stack slots from the frame pointer down, then anything else. */
function rank(k: string): number {
  let m = /^R(\d+)$/.exec(k);
  if (m) return Number(m[1]);
  m = /^fp-(\d+)$/.exec(k);
  if (m) return 100 + Number(m[1]);
  return 1e9;
}

export function sortedEntries(m: Map<string, string>): StateEntries {
  return [...m.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const isCondJump = (text: string): boolean => text.startsWith('if ') || text.startsWith('may_goto');
const isLocalCall = (text: string): boolean => /^call pc[+-]\d+$/.test(text);
const isHelperCall = (text: string): boolean => text.startsWith('call ') && !isLocalCall(text);

/**
 * Rebuilds per-instruction states and the failing path from a kernel-format log.
 * `failPc` (the error's pc) confirms that the log's last visit is the failing one.
 */
export function statesFromLog(log: string, failPc: number | null): LogStates {
  const events: Ev[] = [];
  for (const raw of log.split('\n')) {
    const ev = parseLine(raw.trim() === raw ? raw : raw.trimEnd());
    if (ev) events.push(ev);
  }

  // Pass 1: visits, their predecessors on the same path, and the DFS stack of pushed branches.
  const prevOf: number[] = [];
  const pcOf: number[] = [];
  let last = -1; // last visit on the current path, -1 when no path is active
  let pendingPrev: number | null = -1; // predecessor of the next visit (null: none known)
  const pushed: { pc: number; visit: number }[] = [];
  events.forEach((ev) => {
    if (ev.t === 'insn') {
      const v = pcOf.length;
      pcOf.push(ev.pc);
      prevOf.push(pendingPrev ?? -1);
      if (isCondJump(ev.text)) pushed.push({ pc: ev.pc, visit: v });
      last = v;
      pendingPrev = v;
    } else if (ev.t === 'from') {
      let k = pushed.length - 1;
      while (k >= 0 && pushed[k]!.pc !== ev.from) k--;
      const origin = k >= 0 ? pushed[k]!.visit : -1;
      if (k >= 0) pushed.length = k;
      pendingPrev = origin;
      last = -1;
    } else if (ev.t === 'safe') {
      last = -1;
      pendingPrev = null;
    }
  });

  const nVisits = pcOf.length;
  const lastVisitIdx = new Map<number, number>();
  const visits = new Map<number, number>();
  for (let v = 0; v < nVisits; v++) {
    lastVisitIdx.set(pcOf[v]!, v);
    visits.set(pcOf[v]!, (visits.get(pcOf[v]!) ?? 0) + 1);
  }
  let pathIdx: number[] | null = null;
  const tail = nVisits - 1;
  if (failPc !== null && tail >= 0 && last === tail && pcOf[tail] === failPc) {
    pathIdx = [];
    for (let v = tail; v >= 0; v = prevOf[v]!) pathIdx.push(v);
    pathIdx.reverse();
  }
  const wanted = new Set<number>(lastVisitIdx.values());
  if (pathIdx) for (const v of pathIdx) wanted.add(v);

  // Pass 2: replay the states; snapshot wanted visits. Outer frames are saved with each push.
  let frames: Map<string, string>[] = [new Map()];
  const saved = new Map<number, Map<string, string>[]>();
  const snaps = new Map<number, VisitState>();
  let v = 0;
  let fullBefore = false;
  let exact = nVisits > 0;
  for (const ev of events) {
    if (ev.t !== 'insn') fullBefore = ev.t === 'full' || (ev.t === 'from' && ev.state !== null);
    if (ev.t === 'full') {
      applyTokens(frames, splitState(ev.state), true);
    } else if (ev.t === 'from') {
      const origin = pendingOrigin(ev, v);
      const outer = origin !== undefined ? saved.get(origin) : undefined;
      frames = outer ? outer.map((m) => new Map(m)) : [new Map()];
      if (ev.state !== null) applyTokens(frames, splitState(ev.state), true);
    } else if (ev.t === 'insn') {
      if (!fullBefore) exact = false;
      fullBefore = false;
      const want = wanted.has(v);
      const cur = frames[frames.length - 1]!;
      const before = want ? sortedEntries(cur) : [];
      const frameNo = frames.length - 1;
      if (isCondJump(ev.text)) saved.set(v, frames.map((m) => new Map(m)));
      let touched: string[];
      if (isLocalCall(ev.text)) {
        // Enter the callee: r1-r5 carry over, r10 is the new frame pointer (the log prints no state here).
        const callee = new Map<string, string>();
        for (const r of ['R1', 'R2', 'R3', 'R4', 'R5']) { const x = cur.get(r); if (x !== undefined) callee.set(r, x); }
        callee.set('R10', 'fp0');
        touched = applyTokens(frames, splitState(ev.delta), false);
        frames.push(callee);
      } else if (ev.text === 'exit' && frames.length > 1) {
        touched = applyTokens(frames, splitState(ev.delta), false);
        const r0 = frames.pop()!.get('R0');
        const caller = frames[frames.length - 1]!;
        for (const r of ['R1', 'R2', 'R3', 'R4', 'R5']) caller.delete(r);
        if (r0 !== undefined) caller.set('R0', r0);
      } else {
        if (isHelperCall(ev.text)) for (const r of ['R0', 'R1', 'R2', 'R3', 'R4', 'R5']) cur.delete(r);
        touched = applyTokens(frames, splitState(ev.delta), false);
      }
      if (want) {
        // The failing instruction did not complete: no after-state (a rejected call clobbers nothing).
        const failed = pathIdx !== null && v === tail;
        const after = failed ? before : sortedEntries(frames[Math.min(frameNo, frames.length - 1)]!);
        snaps.set(v, { pc: ev.pc, frame: frameNo, before, after, changed: failed ? [] : touched });
      }
      v++;
    }
  }

  function pendingOrigin(ev: Ev & { t: 'from' }, nextVisit: number): number | undefined {
    // The visit that follows this line records its origin as its predecessor.
    if (nextVisit >= nVisits) return undefined;
    const p = prevOf[nextVisit]!;
    return p >= 0 && pcOf[p] === ev.from ? p : undefined;
  }

  const lastVisit = new Map<number, VisitState>();
  for (const [pc, idx] of lastVisitIdx) lastVisit.set(pc, snaps.get(idx)!);
  return {
    path: pathIdx ? pathIdx.map((i) => pcOf[i]!) : null,
    pathVisits: pathIdx ? pathIdx.map((i) => snaps.get(i)!) : [],
    lastVisit,
    visits,
    exact,
  };
}
