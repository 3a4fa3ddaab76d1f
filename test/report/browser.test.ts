/**
 * The report in a real browser: Debian's chromium driven by playwright-core, the page opened
 * over file:// exactly as a user would, on a small, a ~3,000-insn and a ~10,000-insn program.
 * Skipped (with the reason printed) without chromium. UPDATE_SCREENSHOTS=1 writes the
 * screenshots to reports/examples/ (otherwise to a temporary folder).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { buildReportInput, renderHtmlReport } from '../../src/report/index.js';
import { asm, BRANCHY, inputOf, longProgram, PACKET_OK } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`skip: ${CHROMIUM} is missing (apt-get install -y chromium) -- browser test of the HTML report not run`);
const shots = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../../reports/examples/', import.meta.url)) : null;

describe.skipIf(!haveChromium)('HTML report in chromium', () => {
  let dir: string;
  let ctx: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const hostile = asm(PACKET_OK, 'ok.s');
  hostile.name = '<script>alert(1)</script>';
  const input = inputOf([asm(BRANCHY, 'branchy.s'), hostile], 'two.s');
  input.programs[0]!.program.name = 'branchy';
  const html = renderHtmlReport(input);

  async function open(file: string, doc: string): Promise<void> {
    writeFileSync(join(dir, file), doc);
    await page.goto('file://' + join(dir, file));
    await page.waitForSelector('#p0 svg.cfg g.node');
  }

  async function shot(name: string): Promise<void> {
    const out = shots ?? dir;
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, name) });
  }

  /** The failing line as drawn: its text's on-screen height and whether it lies inside the CFG's box. */
  async function failingLine(): Promise<{ visible: boolean; px: number; text: string }> {
    return page.evaluate(() => {
      const svg = document.querySelector('#p0 svg.cfg')!.getBoundingClientRect();
      const rect = document.querySelector('#p0 svg.cfg rect.hl.failline');
      if (!rect) return { visible: false, px: 0, text: '' };
      const text = rect.nextElementSibling as SVGTextElement;
      const b = text.getBoundingClientRect();
      const visible = b.left >= svg.left && b.right <= svg.right + 200 && b.top >= svg.top && b.bottom <= svg.bottom && b.height > 0;
      return { visible, px: b.height, text: text.textContent ?? '' };
    });
  }

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    dir = mkdtempSync(join(tmpdir(), 'bpflab-report-'));
    ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 950 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('request', (r) => requests.push(r.url()));
    await open('report.html', html);
  });

  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads from file:// with no errors, no dialogs and no other requests', async () => {
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await shot('report-small.png');
  });

  it('draws one SVG group per basic block and the failing path', async () => {
    const m = /<script type="application\/json" id="bpflab-data">([\s\S]*?)<\/script>/.exec(html)!;
    const data = JSON.parse(m[1]!) as { programs: { graph: { nodes: unknown[]; edges: { onPath: boolean }[] } }[] };
    const blocks = data.programs[0]!.graph.nodes.length;
    expect(blocks).toBe(5);
    expect(await page.locator('#p0 svg.cfg g.node').count()).toBe(blocks);
    expect(await page.locator('#p1 svg.cfg g.node').count()).toBe(data.programs[1]!.graph.nodes.length);
    expect(await page.locator('#p0 svg.cfg g.node.fail').count()).toBe(1);
    expect(await page.locator('#p0 svg.cfg g.edge.path').count()).toBe(data.programs[0]!.graph.edges.filter((e) => e.onPath).length);
    const fail = await failingLine();
    expect(fail.text).toBe('9: r5 = *(u8 *)(r2 +9)');
    expect(fail.visible).toBe(true);
  });

  it('shows the state of an instruction when its row is clicked', async () => {
    const state = page.locator('#p0 aside.state .sbody');
    await page.locator('#p0 .row.insn[data-pc="0"]').click();
    await expect.poll(() => state.locator('.shead').textContent()).toBe('0: r2 = *(u32 *)(r1 +0)');
    await page.locator('#p0 .row.insn[data-pc="9"]').click();
    expect(await state.locator('.shead').textContent()).toBe('9: r5 = *(u8 *)(r2 +9)');
    expect(await state.locator('.diagline').textContent()).toContain('invalid access to packet, off=9 size=1');
    expect(await state.textContent()).toContain('state on the failing path');
    const r5 = state.locator('table.regs tr', { hasText: 'R5' });
    expect(await r5.locator('td').nth(1).textContent()).toContain('17'); // the taken side of `if r5 == 0x11`
    expect(await page.locator('#p0 .row.insn.sel').getAttribute('data-pc')).toBe('9');
  });

  it('selects an instruction from the CFG and zooms with the wheel', async () => {
    await page.locator('#p0 svg.cfg rect.hl[data-pc="6"]').click();
    expect(await page.locator('#p0 aside.state .shead').textContent()).toBe('6: if r5 == 0x11 goto pc+2');
    expect(await page.locator('#p0 .row.insn.sel').getAttribute('data-pc')).toBe('6');
    const vp = page.locator('#p0 svg.cfg g.viewport');
    const before = await vp.getAttribute('transform');
    await page.locator('#p0 svg.cfg').hover();
    await page.mouse.wheel(0, -300);
    await expect.poll(() => vp.getAttribute('transform')).not.toBe(before);
  });

  it('renders a hostile program name as text', async () => {
    expect(await page.locator('#p1 h2').textContent()).toBe('<script>alert(1)</script>');
    expect(await page.locator('#p1 script').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('a 30,000-insn straight-line rejection: a compact page whose states decode at any pc', async () => {
    const n = 30_000;
    const p = asm(['r0 = 0', ...Array.from({ length: n - 3 }, () => 'r0 += 1'), 'r0 += r2', 'exit'].join('\n') + '\n', 'line.s');
    const doc = renderHtmlReport(await buildReportInput('line.s', [p], { explain: false }));
    expect(doc.length).toBeLessThan(1_500_000);
    await open('line.html', doc);
    const fail = await failingLine();
    expect(fail.visible, JSON.stringify(fail)).toBe(true);
    const state = page.locator('#p0 aside.state .sbody');
    expect(await state.textContent()).toContain('state on the failing path');
    const search = page.locator('#p0 input.search');
    await search.fill('21234');
    await search.press('Enter');
    await expect.poll(() => page.locator('#p0 .row.insn.sel').getAttribute('data-pc')).toBe('21234');
    const r0 = state.locator('table.regs tr', { hasText: 'R0' }).locator('td').nth(1);
    expect(await r0.textContent()).toContain('21233'); // 21233 before, 21234 after (decimal within s16, as the kernel prints)
    expect(await r0.textContent()).toContain('21234');
    expect(await page.locator('#p0 .row').count()).toBeLessThan(200);
    expect(problems).toEqual([]);
  }, 60_000);

  for (const size of [3000, 10000]) {
    it(`a ${size}-insn program opens on its failing instruction, legibly; blocks show states; search finds pcs and registers`, async () => {
      const p = asm(longProgram(size), `long${size}.s`);
      const doc = renderHtmlReport(await buildReportInput(`long${size}.s`, [p], { explain: false }));
      expect(doc.length).toBeLessThan(2_000_000);
      await open(`long${size}.html`, doc);
      const fail = await failingLine();
      expect(fail.visible, JSON.stringify(fail)).toBe(true);
      expect(fail.px).toBeGreaterThanOrEqual(11); // legible at the initial zoom
      expect(fail.text).toMatch(/r0 = \*\(u32 \*\)\(r2 \+12\)/);
      await shot(`report-${size}.png`);
      // the instruction list is virtual: far fewer rows in the page than instructions
      expect(await page.locator('#p0 .row').count()).toBeLessThan(200);
      // clicking a block (its box) shows the verifier's state there
      const at = await page.evaluate(() => {
        const svg = document.querySelector('#p0 svg.cfg')!.getBoundingClientRect();
        for (const r of document.querySelectorAll('#p0 svg.cfg g.node.path:not(.fail) rect.box')) {
          const b = r.getBoundingClientRect();
          if (b.top > svg.top && b.bottom < svg.bottom && b.left > svg.left && b.right < svg.right) return { x: b.left + 3, y: b.top + 3 };
        }
        return null;
      });
      expect(at).not.toBeNull();
      await page.mouse.click(at!.x, at!.y);
      const state = page.locator('#p0 aside.state .sbody');
      expect(await state.locator('table.regs tr').count()).toBeGreaterThan(3);
      // search: a pc, then a register
      const search = page.locator('#p0 input.search');
      await search.fill('100');
      await search.press('Enter');
      await expect.poll(() => page.locator('#p0 .row.insn.sel').getAttribute('data-pc')).toBe('100');
      await search.fill('r9');
      await search.press('Enter');
      expect(await page.locator('#p0 .hits').textContent()).toMatch(/^1 \/ \d+$/);
      expect(await state.locator('.shead').textContent()).toMatch(/r9 = 7/);
      // the minimap moves the view
      const vp = page.locator('#p0 svg.cfg g.viewport');
      const before = await vp.getAttribute('transform');
      await page.locator('#p0 canvas.minimap').click({ position: { x: 100, y: 10 } });
      await expect.poll(() => vp.getAttribute('transform')).not.toBe(before);
      expect(problems).toEqual([]);
    }, 60_000);
  }
});
