/**
 * Tracepoints as tracefs describes them: the numeric id perf_event_open takes and the record
 * layout (`format`): each field's C type, offset, size and signedness.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../isa/errors.js';

export interface TracepointField {
  type: string;
  name: string;
  offset: number;
  size: number;
  signed: boolean;
}

export interface Tracepoint {
  category: string;
  name: string;
  id: number;
  fields: TracepointField[];
}

const MOUNTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** Where tracefs is mounted, or undefined. */
export function tracefsRoot(): string | undefined {
  return MOUNTS.find((m) => existsSync(`${m}/events`));
}

/** Parses a tracepoint `format` file's field lines. */
export function parseFormat(text: string): TracepointField[] {
  const fields: TracepointField[] = [];
  for (const m of text.matchAll(/field:([^;]+);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d);/g)) {
    const decl = m[1]!.trim();
    // the declarator's last word is the name; array suffixes stay with the type
    const dm = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)(\s*\[[^\]]*\])?$/.exec(decl);
    if (!dm) continue;
    fields.push({ type: `${dm[1]!.trim()}${dm[3] ?? ''}`, name: dm[2]!, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
  }
  return fields;
}

/** The tracepoint CATEGORY/NAME: id and fields. Throws InputError naming it when it does not exist. */
export function tracepoint(category: string, name: string): Tracepoint {
  const root = tracefsRoot();
  if (!root) throw new InputError('trace', 'tracefs is not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)');
  if (!/^\w+$/.test(category) || !/^\w+$/.test(name)) throw new InputError('usage', `tracepoint '${category}/${name}': not a tracepoint name`);
  const dir = `${root}/events/${category}/${name}`;
  if (!existsSync(`${dir}/id`)) throw new InputError('trace', `tracepoint ${category}/${name} does not exist on this kernel (${dir})`);
  return { category, name, id: Number(readFileSync(`${dir}/id`, 'utf8').trim()), fields: parseFormat(readFileSync(`${dir}/format`, 'utf8')) };
}
