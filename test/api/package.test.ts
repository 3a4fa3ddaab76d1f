/**
 * bpflab as a package: `npm pack` the built package, install the tarball into a fresh project
 * (offline: the tarball unpacked into node_modules, its declared dependencies linked from this
 * repository's node_modules, so a missing dependency or export fails here), then compile every
 * `ts` example of docs/api.md with tsc --strict against it and run each one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const built = existsSync(join(root, 'dist/index.js')) && existsSync(join(root, 'dist/index.d.ts'));
const skip = built ? false : 'dist/ is not built (npm run build)';
if (skip) console.log(`package tests skipped: ${skip}`);

/** The `ts` blocks of docs/api.md, in order. */
export function docExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A package's dependencies and theirs, as found in this repository's node_modules (hoisted layout). */
function dependencyClosure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    const pj = join(root, 'node_modules', n, 'package.json');
    if (!existsSync(pj)) continue; // an optional dependency not installed here
    seen.add(n);
    const d = JSON.parse(readFileSync(pj, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    todo.push(...Object.keys(d.dependencies ?? {}), ...Object.keys(d.optionalDependencies ?? {}));
  }
  return seen;
}

describe.skipIf(skip)('the packed package', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpflab-pack-'));
    // npm pack without lifecycle scripts: dist/ is what `npm ci` (prepare) built.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
    const pkgDir = join(dir, 'project/node_modules/bpflab');
    mkdirSync(pkgDir, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dep of dependencyClosure(Object.keys(pkg.dependencies))) {
      const link = join(dir, 'project/node_modules', dep);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), link, 'dir');
    }
    // Types for Node and the compiler come from this repository (the project's own devDependencies).
    mkdirSync(join(dir, 'project/node_modules/@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules/@types/node'), join(dir, 'project/node_modules/@types/node'), 'dir');
    writeFileSync(join(dir, 'project/package.json'), JSON.stringify({ name: 'uses-bpflab', private: true, type: 'module' }));
    writeFileSync(join(dir, 'project/tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'es2023', lib: ['es2023'], module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false, outDir: 'out' },
      include: ['*.ts'],
    }));
  }, 120_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('holds dist, the bin and docs, and nothing from test/', () => {
    const files = readdirSync(join(dir, 'project/node_modules/bpflab'));
    expect(files).toEqual(expect.arrayContaining(['dist', 'bin', 'docs', 'package.json', 'README.md']));
    expect(files).not.toContain('test');
    expect(files).not.toContain('src');
  });

  it('imports by name, as namespaces and by stage subpath', () => {
    const script = `
      import * as b from 'bpflab';
      import { verify } from 'bpflab/verifier';
      import { runProgram } from 'bpflab/vm';
      import { renderSarif } from 'bpflab/report';
      import { verifyFiles } from 'bpflab/batch';
      const names = ['loadObject','loadProgram','verify','verifyWithStates','run','compileJit','explain','fuzz','renderReport','sarif','kernelVerdict','verifyFiles','main'];
      const missing = names.filter((n) => typeof b[n] !== 'function');
      if (missing.length || typeof verify !== 'function' || typeof runProgram !== 'function' || typeof renderSarif !== 'function' || typeof verifyFiles !== 'function') { console.error('missing', missing); process.exit(1); }
      console.log(Object.keys(b).length, typeof b.verifier.verify, typeof b.isa.assemble);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(dir, 'project'), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+ function function/);
  });

  it('compiles every docs/api.md example with tsc --strict and runs it', () => {
    const examples = docExamples(readFileSync(join(root, 'docs/api.md'), 'utf8'));
    expect(examples.length).toBeGreaterThanOrEqual(6);
    examples.forEach((code, i) => writeFileSync(join(dir, `project/example${i}.ts`), code));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'project/tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const outputs: string[] = [];
    examples.forEach((_, i) => {
      // Run from the repository: the examples name its corpus/ and examples/ files.
      const r = spawnSync(process.execPath, [join(dir, `project/out/example${i}.js`)], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr, `example ${i}`).toBe('');
      expect(r.status, `example ${i}: ${r.stdout}`).toBe(0);
      outputs.push(r.stdout);
    });
    // The 15-line example: a clang object, verified, R1's bounds read at a chosen instruction.
    expect(outputs[0]).toBe('accept\ninsn 20: R1 map_value off=0 umin=0 umax=120 var_off=(0x0; 0x78)\n');
    expect(examples[0]!.trim().split('\n').length).toBeLessThanOrEqual(15);
  }, 180_000);
});
