import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { PACKET_OK, PACKET_OOB } from './helpers.js';

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('bpflab report', () => {
  it('writes the HTML (and SARIF) and exits 1 when a program is rejected', async () => {
    const io = memoryIo({ 'oob.s': PACKET_OOB });
    const code = await main(['report', 'oob.s', '-o', 'out.html', '--sarif', 'out.sarif', '--no-explain'], io);
    expect(io.stderr).toBe('');
    expect(code).toBe(1);
    const html = text(io.files.get('out.html'));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('invalid access to packet');
    const sarif = JSON.parse(text(io.files.get('out.sarif'))) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).toEqual(['packet_oob']);
    expect(io.stdout).toBe('out.html: 1 program, 1 rejected\n');
  });

  it('exits 0 when every program is accepted', async () => {
    const io = memoryIo({ 'ok.s': PACKET_OK });
    expect(await main(['report', 'ok.s', '-o', 'ok.html', '--json'], io)).toBe(0);
    const doc = JSON.parse(io.stdout) as { programs: { verdict: string }[] };
    expect(doc.programs.map((p) => p.verdict)).toEqual(['accept']);
    expect(text(io.files.get('ok.html'))).toContain('ACCEPTED');
  });

  it('exits 2 with one line on bad input or usage', async () => {
    let io = memoryIo({ 'bad.s': 'r0 = \nexit\n' });
    expect(await main(['report', 'bad.s', '-o', 'x.html'], io)).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toContain('bad.s');
    io = memoryIo({ 'ok.s': PACKET_OK });
    expect(await main(['report', 'ok.s'], io)).toBe(2);
    expect(io.stderr).toContain('-o');
    io = memoryIo({});
    expect(await main(['report', 'missing.s', '-o', 'x.html'], io)).toBe(2);
    expect(io.files.has('x.html')).toBe(false);
  });

  it('verify --report records the states while it verifies: the page equals report --no-explain', async () => {
    const io = memoryIo({ 'oob.s': PACKET_OOB });
    expect(await main(['verify', 'oob.s', '--report', 'v.html'], io)).toBe(1);
    expect(await main(['report', 'oob.s', '-o', 'r.html', '--no-explain'], io)).toBe(1);
    // the same states and listing; only the verifier's time differs
    const strip = (h: string): string => h.replace(/\d+(\.\d+)? ms/g, 'T ms').replace(/"ms":[\d.]+/g, '"ms":0');
    expect(strip(text(io.files.get('v.html')))).toBe(strip(text(io.files.get('r.html'))));
  });
});
