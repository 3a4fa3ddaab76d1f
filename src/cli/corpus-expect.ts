/**
 * The `.expect.json` sidecar of a corpus entry (SPEC section 6), read strictly: a JSON object
 * whose fields have the documented types. Anything else is an InputError naming the file and
 * the field, never a crash later on.
 */
import { InputError } from '../isa/errors.js';

export interface Expectation {
  verdict: 'accept' | 'reject';
  kind?: string;
  message?: string;
  r0?: string;
  kernel?: 'accept' | 'reject';
  why: string;
}

const VERDICTS = ['accept', 'reject'] as const;

/** Parses and checks a sidecar's text; `file` names it in errors. */
export function parseExpectation(text: string, file: string): Expectation {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError('corpus', `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new InputError('corpus', `${file}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  const o = v as Record<string, unknown>;
  const str = (name: string, required: boolean): string | undefined => {
    const x = o[name];
    if (x === undefined && !required) return undefined;
    if (typeof x !== 'string') throw new InputError('corpus', `${file}: "${name}" must be a string${x === undefined ? ' (missing)' : `, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`}`);
    return x;
  };
  const verdict = str('verdict', true)!;
  if (!(VERDICTS as readonly string[]).includes(verdict)) throw new InputError('corpus', `${file}: "verdict" must be "accept" or "reject"`);
  const kernel = str('kernel', false);
  if (kernel !== undefined && !(VERDICTS as readonly string[]).includes(kernel)) throw new InputError('corpus', `${file}: "kernel" must be "accept" or "reject"`);
  const r0 = str('r0', false);
  if (r0 !== undefined && !/^\d+$/.test(r0)) throw new InputError('corpus', `${file}: "r0" must be a decimal number in a string`);
  const out: Expectation = { verdict: verdict as Expectation['verdict'], why: str('why', false) ?? '' };
  const kind = str('kind', false);
  const message = str('message', false);
  if (kind !== undefined) out.kind = kind;
  if (message !== undefined) out.message = message;
  if (r0 !== undefined) out.r0 = r0;
  if (kernel !== undefined) out.kernel = kernel as 'accept' | 'reject';
  return out;
}
