/** The report's stylesheet (inlined: the page must open from file:// with nothing else). */
export const REPORT_CSS = `
:root {
  --bg: #f4f6f8; --panel: #ffffff; --border: #d8dee4; --soft: #eef1f4; --text: #1f2328; --muted: #636c76;
  --accent: #0969da; --accent-bg: #ddf4ff; --reject: #cf222e; --reject-bg: #ffebe9; --accept: #1a7f37; --accept-bg: #dafbe1;
  --path: #d4760a; --path-bg: #fff4e0; --warn: #9a6700; --warn-bg: #fff8c5; --call: #8250df;
  --mono: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; align-items: center; gap: 18px; padding: 12px 24px; background: #24292f; color: #f6f8fa; }
.top .brand { font-weight: 700; font-size: 16px; letter-spacing: .2px; }
.top .brand span { font-weight: 400; color: #9da7b3; margin-left: 8px; }
.top .file { font-family: var(--mono); font-size: 13px; color: #d0d7de; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
.top .totals { display: flex; gap: 8px; }
.chip { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.chip.reject { background: var(--reject-bg); color: var(--reject); border-color: #ffcecb; }
.chip.accept { background: var(--accept-bg); color: var(--accept); border-color: #aceebb; }
.chip.warn { background: var(--warn-bg); color: var(--warn); border-color: #f5e0a0; }
.chip.neutral { background: var(--soft); color: var(--muted); border-color: var(--border); }
.chip.kind { font-family: var(--mono); font-weight: 500; }
.toc { display: flex; flex-wrap: wrap; gap: 6px; padding: 10px 24px; background: var(--panel); border-bottom: 1px solid var(--border); }
.toc a { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 6px; border: 1px solid var(--border); color: var(--text); font-size: 13px; }
.toc a:hover { background: var(--soft); text-decoration: none; }
.dot { width: 8px; height: 8px; border-radius: 50%; display: inline-block; }
.dot.reject { background: var(--reject); } .dot.accept { background: var(--accept); }
main { padding: 18px 24px 40px; max-width: 1680px; margin: 0 auto; }
.prog { margin-bottom: 34px; }
.prog-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin: 4px 0 10px; }
.prog-head h2 { margin: 0; font-size: 20px; font-family: var(--mono); font-weight: 600; word-break: break-all; }
.prog-head .meta { color: var(--muted); font-size: 13px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 14px 16px; }
.verdict { border-left: 5px solid var(--accept); margin-bottom: 12px; }
.verdict.reject { border-left-color: var(--reject); }
.verdict .msg { font-family: var(--mono); font-size: 14px; font-weight: 600; color: var(--reject); word-break: break-word; }
.verdict.accept .msg { color: var(--accept); }
.verdict .row { margin-top: 6px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; color: var(--muted); }
.verdict .row code { color: var(--text); }
.verdict .src { margin-top: 8px; padding: 6px 10px; background: var(--soft); border-radius: 6px; font-family: var(--mono); font-size: 12.5px; white-space: pre-wrap; word-break: break-word; }
.verdict .src .loc { color: var(--muted); margin-right: 10px; }
.stats { color: var(--muted); font-size: 12.5px; margin-top: 8px; }
details.maps { margin-top: 6px; font-size: 12.5px; color: var(--muted); }
details.maps summary { cursor: pointer; }
details.maps table { border-collapse: collapse; margin-top: 4px; }
details.maps td { padding: 1px 12px 1px 0; color: var(--text); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.cards > .card { flex: 1 1 320px; min-width: 0; }
.cards > .card.explain { flex: 3 1 560px; }
.ex-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
@media (max-width: 900px) { .ex-grid { grid-template-columns: 1fr; } }
.card .line.sub { color: var(--muted); font-size: 12.5px; }
.card h3 { margin: 0 0 8px; font-size: 13px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); display: flex; gap: 8px; align-items: center; }
.card .line { margin: 4px 0; }
.card .label { color: var(--muted); display: inline-block; min-width: 92px; }
.hex { font-family: var(--mono); font-size: 12px; background: var(--soft); border-radius: 6px; padding: 6px 8px; margin: 4px 0 8px; white-space: pre; overflow-x: auto; }
.hex .off { color: var(--muted); }
.cmp { display: grid; grid-template-columns: 92px 1fr; gap: 4px 8px; font-family: var(--mono); font-size: 12.5px; }
.cmp .k { color: var(--muted); font-family: var(--sans); font-size: 13px; }
.pathbar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-bottom: 12px; }
.pathbar .title { color: var(--muted); font-size: 13px; margin-right: 6px; }
.pathbar .step { font-family: var(--mono); font-size: 12px; padding: 1px 7px; border-radius: 5px; background: var(--path-bg); color: #8a4b00; border: 1px solid #f2cf96; cursor: pointer; }
.pathbar .step.fail { background: var(--reject-bg); color: var(--reject); border-color: #ffcecb; font-weight: 700; }
.pathbar .arrow { color: #b7bdc4; font-size: 12px; }
.work { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 12px; align-items: start; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; overflow: hidden; }
.panel + .panel { margin-top: 12px; }
.ptitle { display: flex; align-items: center; gap: 10px; padding: 8px 12px; border-bottom: 1px solid var(--border); background: #fafbfc; font-weight: 600; font-size: 13px; }
.ptitle .hint { color: var(--muted); font-weight: 400; font-size: 12px; }
.ptitle .spacer { flex: 1; }
.ptitle button { font: 12px var(--sans); padding: 2px 10px; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); cursor: pointer; color: var(--text); }
.ptitle button:hover { background: var(--soft); }
.legend { display: flex; gap: 12px; font-weight: 400; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 18px; height: 0; border-top: 2px solid; vertical-align: middle; margin-right: 4px; }
.cfg-wrap { position: relative; height: 600px; background-color: #fbfcfd;
  background-image: radial-gradient(#e3e7eb 1px, transparent 1px); background-size: 18px 18px; }
svg.cfg { width: 100%; height: 100%; display: block; cursor: grab; user-select: none; }
svg.cfg:active { cursor: grabbing; }
.note { padding: 14px; color: var(--muted); }
svg.cfg .node rect.box { fill: #fff; stroke: #b9c1ca; stroke-width: 1.2; }
svg.cfg .node.path rect.box { fill: #fffaf1; stroke: var(--path); stroke-width: 2; }
svg.cfg .node.fail rect.box { fill: #fff6f6; stroke: var(--reject); stroke-width: 2.5; }
svg.cfg .node.sel rect.box { filter: drop-shadow(0 0 4px rgba(9,105,218,.45)); }
svg.cfg .node rect.hdr { fill: var(--soft); }
svg.cfg .node text { font-family: var(--mono); font-size: 11.5px; fill: #24292f; pointer-events: none; }
svg.cfg .node text.gap { fill: var(--muted); font-style: italic; cursor: default; }
svg.cfg .node rect.hl { fill: transparent; cursor: pointer; }
svg.cfg .node rect.hl:hover { fill: #eaeef2; }
svg.cfg .node rect.hl.failline { fill: #ffd8d3; }
svg.cfg .node rect.hl.selline { fill: var(--accent-bg); stroke: var(--accent); stroke-width: 1; }
svg.cfg .node rect.hl.failline.selline { fill: #ffd8d3; }
svg.cfg .edge path { fill: none; stroke: #8c959f; stroke-width: 1.4; }
svg.cfg .edge.taken path { stroke: #2da44e; }
svg.cfg .edge.fallthrough path { stroke: #8c959f; }
svg.cfg .edge.call path { stroke: var(--call); stroke-dasharray: 5 4; }
svg.cfg .edge.back path { stroke-dasharray: 2 3; }
svg.cfg .edge.path path { stroke: var(--path); stroke-width: 3; }
.listing-wrap { height: 560px; overflow: auto; position: relative; }
.listing-spacer { position: relative; font-family: var(--mono); font-size: 12.5px; }
.listing-spacer .row { position: absolute; left: 0; right: 0; height: 19px; line-height: 19px; white-space: pre; overflow: hidden; display: flex; }
.listing-spacer .row.insn { cursor: pointer; }
.listing-spacer .row.insn:hover { background: #f3f5f7; }
.listing-spacer .row .mk { width: 6px; flex: none; }
.listing-spacer .row.path .mk { background: var(--path); }
.listing-spacer .row.fail .mk { background: var(--reject); }
.listing-spacer .row.impr .mk { background: var(--call); }
.listing-spacer .row.fix .mk { background: var(--accept); }
.listing-spacer .row.site .mk { background: var(--warn); }
.listing-spacer .row.fail { background: #fff1f0; }
.listing-spacer .row.hit { background: var(--warn-bg); }
.listing-spacer .row.sel { background: var(--accent-bg) !important; }
.listing-spacer .row.fail.sel { background: #ffe1dd !important; box-shadow: inset 0 1px 0 var(--accent), inset 0 -1px 0 var(--accent); }
.listing-spacer .row .pc { color: var(--muted); text-align: right; width: 52px; flex: none; padding-right: 8px; }
.listing-spacer .row .tx { color: #0b2f5a; flex: none; min-width: 300px; padding-right: 12px; }
.listing-spacer .row .tx a.tgt { color: var(--muted); margin-left: 6px; font-size: 11.5px; }
.listing-spacer .row .dl { color: var(--muted); font-size: 11.5px; overflow: hidden; text-overflow: ellipsis; flex: 1; min-width: 0; }
.listing-spacer .row.unvisited .tx { color: #8c959f; }
.listing-spacer .row.second { color: #b0b7bf; font-size: 10px; }
.listing-spacer .row.src { color: #57606a; font-size: 12px; padding-left: 14px; }
.listing-spacer .row.src .loc { color: #8c959f; margin-right: 10px; }
.listing-spacer .row.src .code { color: #1a7f37; overflow: hidden; text-overflow: ellipsis; }
.listing-spacer .row.diag { background: var(--reject-bg); color: var(--reject); font-weight: 600; padding-left: 64px; }
input.search { font: 12.5px var(--mono); padding: 2px 8px; border: 1px solid var(--border); border-radius: 6px; width: 190px; font-weight: 400; }
canvas.minimap { position: absolute; right: 10px; bottom: 10px; width: 200px; height: 140px; border: 1px solid var(--border); border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.12); cursor: crosshair; }
svg.cfg.far .node .lines { display: none; }
svg.cfg .node.sub rect.box { fill: #fbefff; stroke: var(--call); stroke-dasharray: 5 3; cursor: pointer; }
svg.cfg .node rect.hl.fixline { fill: #dafbe1; }
svg.cfg .node rect.hl.siteline { fill: var(--warn-bg); }
.tag.fix { background: var(--accept-bg); color: var(--accept); border: 1px solid #aceebb; }
aside.state .fixbox { font-size: 12px; background: var(--accept-bg); border: 1px solid #aceebb; border-radius: 6px; padding: 6px 8px; margin-bottom: 10px; }
aside.state .fixbox .mono { display: block; font-size: 11.5px; white-space: pre-wrap; margin-top: 3px; }
.fixes .fix { margin: 6px 0; padding: 6px 8px; border-radius: 6px; background: var(--accept-bg); border: 1px solid #aceebb; }
.fixes .fix.failed { background: var(--soft); border-color: var(--border); color: var(--muted); }
.fixes .fix pre { margin: 4px 0 0; font-family: var(--mono); font-size: 12px; white-space: pre-wrap; }
.tag { font-family: var(--sans); font-size: 11px; font-weight: 600; border-radius: 4px; padding: 0 6px; margin-left: 8px; }
.tag.impr { background: #fbefff; color: var(--call); border: 1px solid #e3ccff; }
svg.cfg .node rect.hl.imprline { fill: #f4e8ff; }
aside.state .imprbox { font-size: 12px; background: #fbefff; border: 1px solid #e3ccff; border-radius: 6px; padding: 6px 8px; margin-bottom: 10px; }
aside.state .imprbox b { color: var(--call); }
aside.state .imprbox .mono { display: block; font-size: 11.5px; word-break: break-word; margin: 2px 0 4px; }
table.listing tr.second td { color: #b0b7bf; height: 0; font-size: 10px; }
table.listing tr.src td { padding-top: 7px; color: #57606a; font-family: var(--mono); font-size: 12px; white-space: pre-wrap; }
table.listing tr.src td .loc { color: #8c959f; margin-right: 10px; }
table.listing tr.src td .code { color: #1a7f37; }
table.listing tr.diag td { background: var(--reject-bg); color: var(--reject); font-weight: 600; padding: 4px 8px 4px 34px; white-space: pre-wrap; }
aside.state { position: sticky; top: 12px; max-height: calc(100vh - 24px); display: flex; flex-direction: column; }
aside.state .sbody { overflow: auto; padding: 10px 12px 14px; }
aside.state .shead { font-family: var(--mono); font-size: 13px; font-weight: 600; word-break: break-word; }
aside.state .ssub { color: var(--muted); font-size: 12px; margin: 3px 0 10px; display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
aside.state .empty { color: var(--muted); padding: 6px 0; }
aside.state .srcline { font-family: var(--mono); font-size: 12px; background: var(--soft); border-radius: 6px; padding: 5px 8px; margin-bottom: 10px; white-space: pre-wrap; word-break: break-word; }
aside.state .diagline { font-family: var(--mono); font-size: 12px; background: var(--reject-bg); color: var(--reject); border-radius: 6px; padding: 5px 8px; margin-bottom: 10px; white-space: pre-wrap; word-break: break-word; font-weight: 600; }
table.regs { border-collapse: collapse; width: 100%; font-size: 12px; }
table.regs th { text-align: left; color: var(--muted); font-weight: 500; font-size: 11.5px; padding: 3px 6px; border-bottom: 1px solid var(--border); }
table.regs td { padding: 4px 6px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
table.regs td.n { font-family: var(--mono); font-weight: 600; width: 1%; white-space: nowrap; }
table.regs tr.chg td { background: #fff8e6; }
table.regs tr.chg td.n::after { content: " \\25CF"; color: var(--path); font-size: 9px; }
.val { font-family: var(--mono); font-size: 11.5px; word-break: break-all; }
.val .ty { display: inline-block; padding: 0 6px; border-radius: 4px; margin-right: 4px; font-weight: 600; background: #eaeef2; color: #424a53; }
.val .ty.pkt, .val .ty.pkt_end, .val .ty.pkt_meta { background: #ddf4ff; color: #0550ae; }
.val .ty.ctx { background: #fbefff; color: #8250df; }
.val .ty.fp, .val .ty.stack { background: #fff1e5; color: #953800; }
.val .ty.map_value, .val .ty.map_ptr, .val .ty.map_key { background: #dafbe1; color: #116329; }
.val .ty.null { background: var(--reject-bg); color: var(--reject); }
.val .ty.const { background: #f0f3f6; color: #1f2328; }
.val .ty.spill { background: #eef1f4; color: #57606a; }
.val .f { color: #57606a; }
.after { margin-top: 3px; display: flex; gap: 4px; align-items: baseline; }
.after::before { content: "\\2192"; color: var(--path); font-weight: 700; }
.seg { display: inline-flex; border: 1px solid var(--border); border-radius: 6px; overflow: hidden; }
.seg button { font: 12px var(--sans); border: 0; padding: 2px 9px; background: var(--panel); cursor: pointer; color: var(--text); }
.seg button.on { background: var(--accent); color: #fff; }
aside.state .foot { margin-top: 10px; color: var(--muted); font-size: 11.5px; line-height: 1.35; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px 0 30px; }
.kbd { font-family: var(--mono); font-size: 11px; border: 1px solid var(--border); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: #fff; }
@media (max-width: 1100px) { .work { grid-template-columns: 1fr; } aside.state { position: static; max-height: none; } }
`;
