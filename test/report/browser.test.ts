/**
 * The report in a real browser: Debian's chromium driven by playwright-core, the page opened
 * over file:// exactly as a user would. Skipped (with the reason printed) without chromium.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { renderHtmlReport } from '../../src/report/index.js';
import { asm, BRANCHY, inputOf, PACKET_OK } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`skip: ${CHROMIUM} is missing (apt-get install -y chromium) -- browser test of the HTML report not run`);

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

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    dir = mkdtempSync(join(tmpdir(), 'bpflab-report-'));
    writeFileSync(join(dir, 'report.html'), html);
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
    await page.goto('file://' + join(dir, 'report.html'));
    await page.waitForSelector('#p0 svg.cfg g.node');
  });

  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads from file:// with no errors, no dialogs and no other requests', () => {
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
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
    expect(await page.locator('#p0 svg.cfg g.node.fail text').first().textContent()).toBe('9: r5 = *(u8 *)(r2 +9)');
  });

  it('shows the state of the failing instruction when it is clicked', async () => {
    const state = page.locator('#p0 aside.state .sbody');
    await page.locator('#p0 tr.insn[data-pc="0"]').click();
    await expect.poll(() => state.locator('.shead').textContent()).toBe('0: r2 = *(u32 *)(r1 +0)');
    await page.locator('#p0 tr.insn[data-pc="9"]').click();
    expect(await state.locator('.shead').textContent()).toBe('9: r5 = *(u8 *)(r2 +9)');
    expect(await state.locator('.diagline').textContent()).toContain('invalid access to packet, off=9 size=1');
    expect(await state.textContent()).toContain('state on the failing path');
    const r5 = state.locator('table.regs tr', { hasText: 'R5' });
    expect(await r5.locator('td').nth(1).textContent()).toContain('17'); // the taken side of `if r5 == 0x11`
    expect(await page.locator('#p0 tr.insn.sel').getAttribute('data-pc')).toBe('9');
  });

  it('selects an instruction from the CFG and zooms with the wheel', async () => {
    const r6 = page.locator('#p0 svg.cfg rect.hl[data-pc="6"]');
    await r6.click();
    expect(await page.locator('#p0 aside.state .shead').textContent()).toBe('6: if r5 == 0x11 goto pc+2');
    expect(await page.locator('#p0 tr.insn.sel').getAttribute('data-pc')).toBe('6');
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
});
