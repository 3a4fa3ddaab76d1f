/**
 * Coverage guidance (in the style of AFL, BRF and Buzzer): every program a campaign checks is
 * verified with a feature collector (features.ts); a program that reaches a feature no earlier
 * program reached joins an in-memory corpus (optionally mirrored in a directory), and the guided
 * generator (arb.ts) mutates corpus programs picked by a scheduler that favours
 *
 *   - programs that were the smallest to reach some feature ("favoured", as AFL's top-rated),
 *   - programs that brought many new features, accepted programs (their paths go deeper),
 *   - short programs, and programs not picked often yet.
 *
 * Everything is a function of the sequence of programs observed, so a campaign stays
 * deterministic under its seed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Program } from '../../isa/program.js';
import type { VerifyOptions, VerifyResult } from '../../verifier/index.js';
import { exactListing } from '../finding.js';
import { FUZZ_VERIFY_OPTIONS, type FuzzCase, type VerifyFn } from '../oracles/types.js';
import { FeatureCollector } from './features.js';
import { type GuidedMutation, applyMutations } from './mutate.js';
import { WeightTree } from './weight-tree.js';

interface Entry {
  program: Program;
  /** program.insns.length, kept here: join compares it for every feature of every program observed. */
  len: number;
  /** Features it reached (for the favoured marks). */
  features: readonly number[];
  /** New features it brought when it joined. */
  novelty: number;
  accepted: boolean;
  picks: number;
  /** Features for which it is the smallest program seen: > 0 means favoured. */
  tops: number;
  /** The scheduler's weight (weightOf), kept up to date as picks and tops change (Guidance.reweigh). */
  w: number;
  /** Its index in Guidance.entries while the pick tree is valid. */
  slot: number;
}

/** What a campaign reports about coverage. */
export interface CoverageStats {
  /** Distinct verifier features reached (features.ts). */
  features: number;
  /** Distinct rejection messages (numbers and registers blanked). */
  rejections: number;
  /** Programs in the guided corpus. */
  corpus: number;
}

/** What a campaign reached, as sets (they merge across workers and jobs). */
export interface ReachedCoverage {
  features: number[];
  rejections: string[];
  corpus: number;
}

/** The union of campaigns' coverage, as statistics (corpus sizes add up: each campaign has its own). */
export function mergeCoverage(parts: readonly ReachedCoverage[]): CoverageStats & { reached: ReachedCoverage } {
  const f = new Set<number>();
  const r = new Set<string>();
  let corpus = 0;
  for (const p of parts) { for (const x of p.features) f.add(x); for (const x of p.rejections) r.add(x); corpus += p.corpus; }
  return { features: f.size, rejections: r.size, corpus, reached: { features: [...f], rejections: [...r], corpus } };
}

/** What runCampaign needs from coverage feedback. */
export interface CoverageFeedback {
  /** Options to verify `program` with (the collector's hook added). */
  verifyOptions(program: Program): VerifyOptions;
  /** The verification of the last program given to verifyOptions is done (result null: the verifier threw). */
  observe(c: FuzzCase, result: VerifyResult | null): void;
  stats(): CoverageStats;
}

export interface GuidanceOptions {
  /** The verifier seeds are observed with (a campaign's, which may carry a planted bug). */
  verify: VerifyFn;
  /** Initial corpus: corpus/, examples/, a --corpus-dir, programs near a suspected bug. */
  seeds?: readonly Program[];
  /** Write each program that joins the corpus there as `<hash>.s` (exact listing). */
  corpusDir?: string;
  /** Corpus size limit (default 2,000): past it the least valuable unfavoured entry goes. */
  maxEntries?: number;
  /**
   * Seeds already verified elsewhere, by seedKey (observeSeeds: a parent thread verifies them once
   * for all its workers); seeds not found here are verified by this Guidance.
   */
  observed?: ReadonlyMap<string, SeedObservation>;
}

/** What a seed's verification says to the corpus: its features, rejection message (null: accepted), verdict. Plain data (it crosses threads). */
export interface SeedObservation {
  features: number[];
  message: string | null;
  accepted: boolean;
}

/**
 * A seed program's identity for sharing its observation between threads that loaded the same
 * files: where it came from, its type and its instructions (a hash of every field).
 */
export function seedKey(p: Program): string {
  let h = 0x811c9dc5;
  for (const i of p.insns) {
    h = Math.imul(h ^ i.code, 0x01000193);
    h = Math.imul(h ^ ((i.dst << 4) | i.src), 0x01000193);
    h = Math.imul(h ^ i.off, 0x01000193);
    h = Math.imul(h ^ i.imm, 0x01000193);
  }
  return `${p.name}|${p.section}|${p.type}|${p.expectedAttachType ?? ''}|${p.maps.length}|${p.insns.length}|${(h >>> 0).toString(16)}`;
}

/** The seeds' observations with `verify`, by seedKey (for GuidanceOptions.observed). */
export function observeSeeds(verify: VerifyFn, seeds: readonly Program[]): Map<string, SeedObservation> {
  const g = new Guidance({ verify, seeds: [] });
  const out = new Map<string, SeedObservation>();
  for (const p of seeds) {
    const o = g.observeSeed(verify, p);
    out.set(seedKey(p), { features: [...o.features], message: o.message, accepted: o.accepted });
  }
  return out;
}

/** One verification as the corpus sees it. */
interface Observation {
  /** An array for cached seed observations; the collector's live set (valid until its next begin) otherwise. */
  features: Iterable<number>;
  /** The rejection message with numbers blanked (kind|message), null when accepted. */
  message: string | null;
  accepted: boolean;
}

/** Seed observations per verifier function and seed program (the seeds of a worker are loaded once). */
const seedObservations = new WeakMap<VerifyFn, WeakMap<Program, Observation>>();

/** Joins and evictions between two rebuilds of the pick tree. */
const REBUILD_AFTER = 8192;

/** The scheduler's weight of an entry (see the file comment). */
function weightOf(e: Entry): number {
  return (1 + Math.min(e.novelty, 16)) * (e.tops > 0 ? 4 : 1) * (e.accepted ? 4 : 1) * (16 / (16 + e.picks)) * (64 / (64 + e.len));
}

export class Guidance implements CoverageFeedback {
  private readonly collector = new FeatureCollector();
  /** Feature -> the smallest corpus entry reaching it. */
  private readonly top = new Map<number, Entry>();
  private readonly messages = new Set<string>();
  private readonly entries: Entry[] = [];
  /**
   * The last mutant made and the entry it came from: its pick counts only when the mutant is
   * really checked. A case is checked right after it is generated, so only the last one matters.
   */
  private lastMutant: { program: Program; parent: Entry } | null = null;
  /** The scheduler's weights by slot in `entries`: built at the first pick, then kept up to date as entries join, leave and change weight. */
  private readonly tree = new WeightTree();
  private treeValid = false;
  /** Entries joined or evicted since the tree was built: it is rebuilt now and then, so rounding from updates does not pile up. */
  private treeChanges = 0;
  private readonly opts: Readonly<VerifyOptions>;
  private readonly maxEntries: number;
  private readonly corpusDir: string | undefined;

  constructor(o: GuidanceOptions) {
    this.opts = { ...FUZZ_VERIFY_OPTIONS, onInsn: this.collector.onInsn };
    this.maxEntries = o.maxEntries ?? 2000;
    this.corpusDir = o.corpusDir;
    if (this.corpusDir) mkdirSync(this.corpusDir, { recursive: true });
    for (const p of o.seeds ?? []) {
      const seen = o.observed?.get(seedKey(p)) ?? this.observeSeed(o.verify, p);
      this.join(p, seen, true);
    }
  }

  /** A seed's observation: verified once per verifier and program in this thread (every job of a worker seeds a new Guidance). */
  observeSeed(verify: VerifyFn, p: Program): Observation {
    let cache = seedObservations.get(verify);
    if (!cache) seedObservations.set(verify, (cache = new WeakMap()));
    const have = cache.get(p);
    if (have) return have;
    let v: VerifyResult | null = null;
    this.collector.begin(p);
    try { v = verify(p, this.opts); } catch { /* a seed the verifier throws on: the campaign will find it again */ }
    const seen = this.observation(v);
    seen.features = [...seen.features];
    cache.set(p, seen);
    return seen;
  }

  /** What admission needs from a verification: the collector's features, the rejection message, the verdict. */
  private observation(v: VerifyResult | null): Observation {
    const features = this.collector.end(v);
    return {
      features,
      message: v?.error ? this.collector.rejection : null,
      accepted: v?.verdict === 'accept',
    };
  }

  verifyOptions(program: Program): VerifyOptions {
    this.collector.begin(program);
    return this.opts;
  }

  observe(c: FuzzCase, result: VerifyResult | null): void {
    const last = this.lastMutant;
    if (last && last.program === c.program) {
      this.lastMutant = null;
      last.parent.picks++;
      this.reweigh(last.parent);
    }
    this.admit(c.program, result, false);
  }

  stats(): CoverageStats {
    return { features: this.top.size, rejections: this.messages.size, corpus: this.entries.length };
  }

  /** The features and rejection messages reached, for merging campaigns (see mergeCoverage). */
  reached(): ReachedCoverage {
    return { features: [...this.top.keys()], rejections: [...this.messages], corpus: this.entries.length };
  }

  /** Number of corpus programs (the scheduler's population). */
  get size(): number {
    return this.entries.length;
  }

  /**
   * A mutant of a corpus program: `pick` and `mate` in [0, 1) choose the parent (by the
   * scheduler's weights) and the splice partner (uniformly). Null when the corpus is empty.
   */
  mutant(pick: number, mate: number, muts: readonly GuidedMutation[]): Program | null {
    const parent = this.choose(pick);
    if (!parent) return null;
    const other = this.entries[Math.floor(mate * this.entries.length)] ?? parent;
    const p = applyMutations(parent.program, muts, other.program);
    this.lastMutant = { program: p, parent };
    return p;
  }

  private choose(r: number): Entry | null {
    const n = this.entries.length;
    if (n === 0) return null;
    if (!this.treeValid || this.treeChanges > REBUILD_AFTER) {
      this.treeChanges = 0;
      const entries = this.entries;
      this.tree.build(n, (i) => { entries[i]!.slot = i; return entries[i]!.w; });
      this.treeValid = true;
    }
    const total = this.tree.total();
    if (!(total > 0)) return null;
    return this.entries[this.tree.find(r * total)]!;
  }

  /** Recomputes an entry's weight, and the pick tree with it. */
  private reweigh(e: Entry): void {
    const w = weightOf(e);
    const d = w - e.w;
    e.w = w;
    if (this.treeValid && d !== 0 && e.slot >= 0) this.tree.add(e.slot, d);
  }

  private admit(program: Program, v: VerifyResult | null, seed: boolean): void {
    this.join(program, this.observation(v), seed);
  }

  private join(program: Program, seen: Observation, seed: boolean): void {
    const features = seen.features;
    if (seen.message !== null) this.messages.add(seen.message);
    let novelty = 0;
    const better: number[] = [];
    const len = program.insns.length;
    for (const f of features) {
      const t = this.top.get(f);
      if (!t) novelty++;
      if (!t || t.len > len) better.push(f);
    }
    // Without new features a program joins only when it is a smaller way to several known ones.
    if (novelty === 0 && !seed && better.length < 4) return;
    const e: Entry = { program, len, features: [...features], novelty, accepted: seen.accepted, picks: 0, tops: 0, w: 0, slot: -1 };
    for (const f of better) {
      const t = this.top.get(f);
      if (t) { t.tops--; this.reweigh(t); }
      this.top.set(f, e);
      e.tops++;
    }
    e.w = weightOf(e);
    e.slot = this.entries.length;
    this.entries.push(e);
    if (this.treeValid) { this.tree.push(e.w); this.treeChanges++; }
    if (this.entries.length > this.maxEntries) this.evict();
    if (this.corpusDir && !seed) this.persist(program);
  }

  /** Drops the entry worth least among those no feature needs (or the oldest least worth, if all are favoured). */
  private evict(): void {
    let worst = -1;
    let worstW = Infinity;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      const w = e.w * (e.tops > 0 ? 1000 : 1);
      if (w < worstW) { worstW = w; worst = i; }
    }
    // Features it held stay covered (in `top`): a smaller program reaching one takes it over as usual.
    // The last entry takes its slot (two tree updates, not a rebuild of the pick tree).
    const gone = this.entries[worst]!;
    const last = this.entries.pop()!;
    gone.slot = -1;
    if (last !== gone) {
      this.entries[worst] = last;
      last.slot = worst;
      if (this.treeValid) this.tree.add(worst, last.w - gone.w);
    }
    if (this.treeValid) { this.tree.pop(); this.treeChanges++; }
  }

  private persist(program: Program): void {
    const text = exactListing(program);
    const name = createHash('sha1').update(text).digest('hex').slice(0, 16);
    try { writeFileSync(join(this.corpusDir!, `${name}.s`), text); } catch { /* the corpus directory is a convenience: the campaign goes on */ }
  }
}
