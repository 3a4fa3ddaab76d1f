/**
 * The report page's script (a classic script: browsers refuse module scripts over file://).
 * It reads the JSON island and draws only what is in view: the CFG from the coordinates laid
 * out in Node with semantic zoom (boxes far out, instruction text close in, text created for
 * the blocks in view), a minimap, a virtualised instruction list, search by pc / source line /
 * register, and states decoded per block when one is opened. Every string from the input goes
 * through textContent / d3's .text(), never through innerHTML.
 */
import { PACK_ALPHABET } from './wire.js';

export const REPORT_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var island = document.getElementById('bpflab-data');
  if (!island) return;
  var data = JSON.parse(island.textContent || '{}');
  var ALPHABET = '${PACK_ALPHABET}';

  // The inverse of wire.ts packInts: base-64 varints of deltas, odd codes followed by a run count.
  function unpack(s) {
    var out = [], pos = 0, prev = 0;
    function next() {
      var n = 0, scale = 1;
      for (;;) {
        var c = ALPHABET.indexOf(s.charAt(pos++));
        if (c < 0) throw new Error('bad packed data');
        n += (c % 32) * scale;
        if (c < 32) return n;
        scale *= 32;
      }
    }
    while (pos < s.length) {
      var code = next(), zz = Math.floor(code / 2);
      var d = zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2;
      var n = code % 2 === 1 ? next() : 1;
      for (var k = 0; k < n; k++) { prev += d; out.push(prev); }
    }
    return out;
  }

  // Offsets of each group in a concatenated column, from the group lengths.
  function offsets(lens) {
    var o = new Array(lens.length), at = 0;
    for (var i = 0; i < lens.length; i++) { o[i] = at; at += lens[i]; }
    return o;
  }

  function unpackView(v) {
    var idx = unpack(v.text);
    v.text = idx.map(function (i) { return v.lines[i]; });
    v.path = v.path === null ? null : unpack(v.path);
    var t = v.pcStates;
    if (t) {
      ['pc', 'visits', 'flags', 'frame', 'fullAt', 'fullLen', 'full', 'deltaLen', 'delta'].forEach(function (k) { t[k] = unpack(t[k]); });
      t.fullOff = offsets(t.fullLen);
      t.deltaOff = offsets(t.deltaLen);
    }
    return v;
  }
  var LINE_H = 16, PAD = 7, ROW_H = 19, TEXT_K = 0.45, START_K = 1;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Splits "a=1,b=(x; y),c" at top-level commas.
  function splitTop(s) {
    var out = [], depth = 0, start = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') depth--;
      else if (c === ',' && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
    }
    if (start < s.length) out.push(s.slice(start));
    return out;
  }

  function typeClass(t) {
    if (t.indexOf('or_null') >= 0) return 'null';
    return t.replace(/[^a-z_]/g, '');
  }

  // A register or slot value from the kernel log, as a type pill plus its fields.
  function renderValue(v) {
    var box = el('div', 'val');
    var m = /^([A-Za-z_][A-Za-z0-9_]*)\(([\s\S]*)\)$/.exec(v);
    if (m) {
      box.appendChild(el('span', 'ty ' + typeClass(m[1]), m[1]));
      if (m[2]) box.appendChild(el('span', 'f', splitTop(m[2]).join(', ')));
      return box;
    }
    if (/^-?(0x[0-9a-f]+|\d+)$/.test(v)) { box.appendChild(el('span', 'ty const', 'const')); box.appendChild(el('span', '', v)); return box; }
    if (/^fp(\[\d+\])?-?\d*$/.test(v)) { box.appendChild(el('span', 'ty fp', 'fp')); box.appendChild(el('span', '', v)); return box; }
    if (/^[mz0?ri]+$/.test(v)) { box.appendChild(el('span', 'ty spill', 'bytes')); box.appendChild(el('span', '', v)); return box; }
    box.appendChild(el('span', '', v));
    return box;
  }

  function Program(view) {
    this.v = view;
    this.sec = document.getElementById('p' + view.index);
    this.sel = null;
    this.decoded = {};
    this.nodes = {};
    this.lines = {};
    this.textDone = {};
    this.shown = {};
    this.targets = {};
    for (var t = 0; t < view.targets.length; t++) this.targets[view.targets[t][0]] = view.targets[t][1];
    this.onPath = new Uint8Array(view.insns);
    var path = view.path || [];
    for (var q = 0; q < path.length; q++) this.onPath[path[q]] = 1;
    this.impr = view.explain && view.explain.imprecision ? view.explain.imprecision.pc : -1;
    this.marks = {};
    var fx = (view.explain && view.explain.fixes) || [];
    for (var f = 0; f < fx.length; f++) if (fx[f].verified) this.marks[fx[f].pc] = 'fix';
    var lk = (view.explain && view.explain.sites) || [];
    for (var m = 0; m < lk.length; m++) this.marks[lk[m].pc] = 'site';
    // the listing's rows: source lines, instructions, the diagnostic under the failing one
    this.rows = [];
    this.rowOf = {};
    this.srcAt = [];
    var si = 0, cur = null;
    for (var pc = 0; pc < view.insns; pc++) {
      while (si < view.sources.length && view.sources[si][0] <= pc) {
        var s = view.sources[si++];
        cur = { file: view.files[s[1]], line: s[2], col: s[3], text: s[4] };
        if (s[0] === pc) this.rows.push({ src: cur });
      }
      this.srcAt[pc] = cur;
      this.rowOf[pc] = this.rows.length;
      this.rows.push({ pc: pc, second: view.text[pc] === '' });
      if (view.error && view.error.pc === pc) this.rows.push({ diag: view.error.message + '  [' + view.error.kind + ']' });
    }
    this.order = [];
    for (var k = 0; k < view.insns; k++) if (view.text[k] !== '') this.order.push(k);
  }

  // The verifier state at pc, decoded from the columns (states.ts: CompactStates) and cached.
  Program.prototype.state = function (pc) {
    if (this.decoded[pc] === undefined) this.decoded[pc] = this.decode(pc);
    return this.decoded[pc];
  };

  // Binary search: the first index of the ascending xs whose value is >= x.
  function lowerBound(xs, x) {
    var lo = 0, hi = xs.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // The nearest row with a whole state at or before pc's row, then each row's changes up to it.
  Program.prototype.decode = function (pc) {
    var t = this.v.pcStates;
    if (!t) return null;
    var row = lowerBound(t.pc, pc);
    if (row >= t.pc.length || t.pc[row] !== pc) return null;
    function entry(i) { var e = t.entries[i]; var eq = e.indexOf('='); return [e.slice(0, eq), e.slice(eq + 1)]; }
    var f = lowerBound(t.fullAt, row + 1) - 1;
    var m = {}, names = [], i;
    function set(e) { if (m[e[0]] === undefined) names.push(e[0]); m[e[0]] = e[1]; }
    function apply(r) {
      for (var q = t.deltaOff[r]; q < t.deltaOff[r] + t.deltaLen[r]; q++) {
        var d = t.delta[q];
        if (d >= 0) set(entry(d)); else delete m[entry(-d - 1)[0]];
      }
    }
    for (i = t.fullOff[f]; i < t.fullOff[f] + t.fullLen[f]; i++) set(entry(t.full[i]));
    for (var r = t.fullAt[f]; r < row; r++) apply(r);
    var before = names.filter(function (k) { return m[k] !== undefined; }).map(function (k) { return [k, m[k]]; });
    var bm = {};
    before.forEach(function (e) { bm[e[0]] = e[1]; });
    names = before.map(function (e) { return e[0]; });
    apply(row);
    var after = names.filter(function (k) { return m[k] !== undefined; }).map(function (k) { return [k, m[k]]; });
    var changed = [];
    Object.keys(m).concat(Object.keys(bm)).forEach(function (k) { if (m[k] !== bm[k] && changed.indexOf(k) < 0) changed.push(k); });
    var flags = t.flags[row];
    return { n: t.visits[row], path: (flags & 1) !== 0, exact: (flags & 2) !== 0, frame: t.frame[row], before: before, after: after, changed: changed, am: m };
  };

  Program.prototype.init = function () {
    var self = this;
    if (!this.sec) return;
    var links = this.sec.querySelectorAll('[data-goto]');
    for (var j = 0; j < links.length; j++) {
      (function (a) {
        a.addEventListener('click', function (ev) { ev.preventDefault(); self.select(Number(a.getAttribute('data-goto')), 'link'); });
      })(links[j]);
    }
    this.initListing();
    this.graph = this.v.focus || this.v.graph;
    this.drawCfg();
    var views = this.sec.querySelectorAll('.seg.view button');
    for (var i = 0; i < views.length; i++) {
      (function (b) {
        b.addEventListener('click', function () { self.setView(b.getAttribute('data-view')); });
      })(views[i]);
    }
    var search = this.sec.querySelector('input.search');
    if (search) {
      search.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter') { ev.preventDefault(); self.search(search.value, ev.shiftKey ? -1 : 1); }
        ev.stopPropagation();
      });
    }
    var start = this.v.error ? this.v.error.pc : null;
    if (start !== null && start >= 0 && start < this.v.insns) this.select(start, 'init');
    else this.renderState(null);
    var reset = this.sec.querySelector('button.fit');
    if (reset) reset.addEventListener('click', function () { self.fit(true, true); });
  };

  // ---- the virtualised instruction list ----
  Program.prototype.initListing = function () {
    var self = this;
    this.wrap = this.sec.querySelector('.listing-wrap');
    this.spacer = this.sec.querySelector('.listing-spacer');
    if (!this.wrap || !this.spacer) return;
    this.spacer.style.height = (this.rows.length * ROW_H) + 'px';
    this.shown = {};
    this.wrap.addEventListener('scroll', function () { self.schedule('list'); });
    this.spacer.addEventListener('click', function (ev) {
      var t = ev.target;
      if (t && t.classList && t.classList.contains('tgt')) { ev.preventDefault(); self.select(Number(t.getAttribute('data-pc')), 'link'); return; }
      var row = t && t.closest ? t.closest('.row.insn') : null;
      if (row) self.select(Number(row.getAttribute('data-pc')), 'listing');
    });
    this.renderList();
  };

  Program.prototype.schedule = function (what) {
    var self = this;
    this.pending = this.pending || {};
    if (this.pending[what]) return;
    this.pending[what] = 1;
    window.requestAnimationFrame(function () {
      self.pending[what] = 0;
      if (what === 'list') self.renderList();
      else if (what === 'zoom') { self.renderText(); self.drawMinimap(); }
    });
  };

  Program.prototype.rowEl = function (i) {
    var r = this.rows[i];
    var d;
    if (r.src) {
      d = el('div', 'row src');
      var base = String(r.src.file).replace(/^.*[\\/]/, '');
      var loc = el('span', 'loc', base + ':' + r.src.line);
      loc.title = r.src.file;
      d.appendChild(loc);
      d.appendChild(el('span', 'code', String(r.src.text).trim()));
    } else if (r.diag !== undefined) {
      d = el('div', 'row diag', '\u2716 ' + r.diag);
    } else if (r.second) {
      d = el('div', 'row second');
      d.appendChild(el('span', 'mk'));
      d.appendChild(el('span', 'pc', r.pc));
    } else {
      var pc = r.pc;
      var st = this.v.pcStates ? this.state(pc) : null;
      var cls = 'row insn' + (this.onPath[pc] ? ' path' : '') + (this.v.error && this.v.error.pc === pc ? ' fail' : '') +
        (this.impr === pc ? ' impr' : '') + (this.marks[pc] ? ' ' + this.marks[pc] : '') + (this.v.pcStates && !st && !this.v.pcStates.omitted ? ' unvisited' : '') + (this.sel === pc ? ' sel' : '') + (this.hit && this.hit[pc] ? ' hit' : '');
      d = el('div', cls);
      d.setAttribute('data-pc', pc);
      d.appendChild(el('span', 'mk'));
      d.appendChild(el('span', 'pc', pc));
      var tx = el('span', 'tx', this.v.text[pc]);
      var tg = this.targets[pc];
      if (tg !== undefined) {
        var a = el('a', 'tgt', '\u2192' + tg);
        a.href = '#';
        a.setAttribute('data-pc', tg);
        a.title = 'go to insn ' + tg;
        tx.appendChild(a);
      }
      if (this.impr === pc) tx.appendChild(el('span', 'tag impr', 'imprecision'));
      if (this.marks[pc] === 'fix') tx.appendChild(el('span', 'tag fix', 'fix here'));
      d.appendChild(tx);
      var delta = st ? st.changed.map(function (k) { return st.am[k] !== undefined ? k + '=' + st.am[k] : k + ' cleared'; }).join(' ') : '';
      var dl = el('span', 'dl', delta);
      dl.title = delta;
      d.appendChild(dl);
    }
    d.style.top = (i * ROW_H) + 'px';
    return d;
  };

  Program.prototype.renderList = function () {
    if (!this.wrap) return;
    var top = this.wrap.scrollTop, h = this.wrap.clientHeight || 600;
    var lo = Math.max(0, Math.floor(top / ROW_H) - 15), hi = Math.min(this.rows.length, Math.ceil((top + h) / ROW_H) + 15);
    var keep = {};
    for (var i = lo; i < hi; i++) {
      keep[i] = 1;
      if (!this.shown[i]) { this.shown[i] = this.rowEl(i); this.spacer.appendChild(this.shown[i]); }
    }
    for (var k in this.shown) if (!keep[k]) { this.spacer.removeChild(this.shown[k]); delete this.shown[k]; }
  };

  Program.prototype.refreshRow = function (pc) {
    var i = this.rowOf[pc];
    if (i === undefined || !this.shown || !this.shown[i]) return;
    var n = this.rowEl(i);
    this.spacer.replaceChild(n, this.shown[i]);
    this.shown[i] = n;
  };

  Program.prototype.scrollToPc = function (pc) {
    var i = this.rowOf[pc];
    if (i === undefined || !this.wrap) return;
    var y = i * ROW_H;
    if (y < this.wrap.scrollTop + ROW_H || y > this.wrap.scrollTop + this.wrap.clientHeight - 2 * ROW_H) this.wrap.scrollTop = y - this.wrap.clientHeight / 2;
    this.renderList();
  };

  // ---- search: a pc, a source line, a register, or text ----
  Program.prototype.search = function (q, dir) {
    q = String(q).trim();
    var hits = this.sec.querySelector('.hits');
    if (q !== this.lastQuery) {
      this.lastQuery = q;
      this.matches = this.find(q);
      this.mi = -1;
      this.hit = {};
      for (var i = 0; i < this.matches.length; i++) this.hit[this.matches[i]] = 1;
      for (var k in this.shown) { var r = this.rows[k]; if (r.pc !== undefined && !r.second) this.refreshRow(r.pc); }
    }
    if (!this.matches.length) { if (hits) hits.textContent = q ? 'no match' : ''; return; }
    this.mi = (this.mi + dir + this.matches.length) % this.matches.length;
    if (hits) hits.textContent = (this.mi + 1) + ' / ' + this.matches.length;
    this.select(this.matches[this.mi], 'search');
  };

  Program.prototype.find = function (q) {
    var out = [], pc, m;
    if (!q) return out;
    if (/^\d+$/.test(q)) { pc = Number(q); return pc < this.v.insns && this.v.text[pc] !== '' ? [pc] : []; }
    m = /^(?:line\s*|:|l)(\d+)$/i.exec(q);
    if (m) {
      var line = Number(m[1]);
      for (pc = 0; pc < this.v.insns; pc++) {
        var s = this.srcAt[pc];
        if (s && s.line === line && this.v.text[pc] !== '' && (pc === 0 || this.srcAt[pc - 1] !== s)) out.push(pc);
      }
      return out;
    }
    m = /^[rRwW](\d+)$/.exec(q);
    var re = m ? new RegExp('\\b[rw]' + m[1] + '\\b') : null;
    var low = q.toLowerCase();
    for (pc = 0; pc < this.v.insns; pc++) {
      var t = this.v.text[pc];
      if (!t) continue;
      if (re ? re.test(t) : t.toLowerCase().indexOf(low) >= 0) out.push(pc);
    }
    return out;
  };

  // ---- the CFG ----
  Program.prototype.setView = function (which) {
    var g = which === 'full' ? this.v.graph : (this.v.focus || this.v.graph);
    if (!g || g === this.graph) return;
    this.graph = g;
    var bs = this.sec.querySelectorAll('.seg.view button');
    for (var i = 0; i < bs.length; i++) bs[i].classList.toggle('on', bs[i].getAttribute('data-view') === which);
    var n = this.sec.querySelector('.blocks');
    if (n) n.textContent = g.nodes.length + ' of ' + this.v.graph.nodes.length + ' blocks';
    this.drawCfg();
    if (this.sel !== null) this.markSel(this.sel, true);
  };

  Program.prototype.drawCfg = function () {
    var self = this, g = this.graph;
    var wrap = this.sec.querySelector('.cfg-wrap');
    if (!g || !wrap || typeof d3 === 'undefined') return;
    if (this.svg) this.svg.remove();
    this.nodes = {};
    this.lines = {};
    this.textDone = {};
    var svg = d3.select(wrap).insert('svg', 'canvas').attr('class', 'cfg').attr('role', 'img').attr('aria-label', 'control-flow graph of ' + this.v.name);
    var defs = svg.append('defs');
    var kinds = { fallthrough: '#8c959f', jump: '#8c959f', taken: '#2da44e', call: '#8250df', path: '#d4760a' };
    Object.keys(kinds).forEach(function (k) {
      defs.append('marker').attr('id', 'arr-' + self.v.index + '-' + k).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
        .attr('markerWidth', 9).attr('markerHeight', 9).attr('markerUnits', 'userSpaceOnUse').attr('orient', 'auto')
        .append('path').attr('d', 'M0,0 L10,5 L0,10 z').attr('fill', kinds[k]);
    });
    var vp = svg.append('g').attr('class', 'viewport');
    var line = d3.line().curve(d3.curveBasis);
    var edges = g.edges.slice().sort(function (a, b) { return (a.onPath ? 1 : 0) - (b.onPath ? 1 : 0); });
    vp.append('g').attr('class', 'edges').selectAll('g').data(edges).join('g')
      .attr('class', function (e) { return 'edge ' + e.kind + (e.onPath ? ' path' : '') + (e.back ? ' back' : ''); })
      .append('path')
      .attr('d', function (e) { return e.points.length ? line(e.points) : null; })
      .attr('marker-end', function (e) { return 'url(#arr-' + self.v.index + '-' + (e.onPath ? 'path' : e.kind) + ')'; });
    vp.append('g').attr('class', 'nodes').selectAll('g').data(g.nodes).join('g')
      .attr('class', function (n) { return 'node' + (n.onPath ? ' path' : '') + (n.failing ? ' fail' : '') + (n.collapsed ? ' sub' : ''); })
      .attr('data-block', function (n) { return n.id; })
      .attr('transform', function (n) { return 'translate(' + (n.x - n.width / 2) + ',' + (n.y - n.height / 2) + ')'; })
      .each(function (n) { self.nodes[n.id] = { g: this, n: n }; })
      .call(function (sel) {
        sel.append('rect').attr('class', 'box').attr('width', function (n) { return n.width; }).attr('height', function (n) { return n.height; })
          .attr('rx', 6).attr('ry', 6)
          .on('click', function (ev, n) {
            if (n.collapsed) { self.setView('full'); self.select(n.start, 'link'); return; }
            self.select(n.start, 'cfg');
          });
        sel.append('title').text(function (n) {
          return n.collapsed ? 'subprogram ' + n.subprog + ': ' + n.collapsed.blocks + ' blocks, ' + n.collapsed.insns + ' insns (click to open the whole CFG)'
            : 'block ' + n.start + '\u2013' + n.end + (n.subprog ? ' (subprogram ' + n.subprog + ')' : '');
        });
      });
    this.svg = svg;
    this.vp = vp;
    this.zoom = d3.zoom().scaleExtent([0.02, 3]).on('zoom', function (ev) {
      vp.attr('transform', ev.transform);
      svg.classed('far', ev.transform.k < TEXT_K);
      self.schedule('zoom');
    });
    svg.call(this.zoom).on('dblclick.zoom', null);
    this.initMinimap();
    this.fit(false, false);
  };

  // Instruction text for the blocks in view (created once per block, only when close enough to read).
  Program.prototype.renderText = function () {
    if (!this.svg) return;
    var t = d3.zoomTransform(this.svg.node());
    if (t.k < TEXT_K) return;
    var s = this.size();
    var x0 = -t.x / t.k, y0 = -t.y / t.k, x1 = x0 + s.w / t.k, y1 = y0 + s.h / t.k;
    var self = this;
    this.graph.nodes.forEach(function (n) {
      if (self.textDone[n.id]) return;
      if (n.x + n.width / 2 < x0 || n.x - n.width / 2 > x1 || n.y + n.height / 2 < y0 || n.y - n.height / 2 > y1) return;
      self.textDone[n.id] = 1;
      self.nodeText(n);
    });
  };

  Program.prototype.nodeText = function (n) {
    var self = this;
    var gs = d3.select(this.nodes[n.id].g).append('g').attr('class', 'lines');
    if (n.collapsed) {
      gs.append('text').attr('x', 10).attr('y', PAD + 12).text('subprogram ' + n.subprog + ' (pc ' + n.start + ')');
      gs.append('text').attr('class', 'gap').attr('x', 10).attr('y', PAD + LINE_H + 12).text(n.collapsed.blocks + ' blocks, ' + n.collapsed.insns + ' insns');
      return;
    }
    n.rows.forEach(function (pc, i) {
      var y = PAD + i * LINE_H;
      if (pc < 0) {
        gs.append('text').attr('class', 'gap').attr('x', 10).attr('y', y + 12).text('\u22ef ' + (-pc) + ' more insn' + (pc === -1 ? '' : 's') + ' \u22ef');
        return;
      }
      var fail = self.v.error && self.v.error.pc === pc;
      var mark = self.marks[pc];
      var hl = gs.append('rect').attr('class', 'hl' + (fail ? ' failline' : self.impr === pc ? ' imprline' : mark ? ' ' + mark + 'line' : '') + (self.sel === pc ? ' selline' : ''))
        .attr('x', 3).attr('y', y).attr('width', n.width - 6).attr('height', LINE_H).attr('rx', 3)
        .attr('data-pc', pc).on('click', function (ev) { ev.stopPropagation(); self.select(pc, 'cfg'); });
      var txt = pc + ': ' + self.v.text[pc];
      gs.append('text').attr('x', 10).attr('y', y + 12).text(txt.length > 46 ? txt.slice(0, 45) + '\u2026' : txt);
      self.lines[pc] = { rect: hl.node(), node: n };
    });
  };

  Program.prototype.size = function () {
    var box = this.svg.node().getBoundingClientRect();
    return { w: box.width || 800, h: box.height || 560 };
  };

  // Initial view: the failing block at a legible scale; a small graph whole when it is legible whole.
  Program.prototype.fit = function (animate, whole) {
    if (!this.svg) return;
    var g = this.graph, s = this.size();
    var kAll = Math.min(1.1, (s.w - 32) / Math.max(1, g.width), (s.h - 32) / Math.max(1, g.height));
    var fail = g.nodes.filter(function (n) { return n.failing; })[0];
    var t;
    if (whole || kAll >= 0.8 || (!fail && kAll >= TEXT_K)) {
      t = d3.zoomIdentity.translate((s.w - g.width * kAll) / 2, Math.max(16, (s.h - g.height * kAll) / 2)).scale(kAll);
    } else if (fail) {
      t = d3.zoomIdentity.translate(s.w / 2 - fail.x * START_K, s.h / 2 - fail.y * START_K).scale(START_K);
    } else {
      var top = g.nodes.reduce(function (a, n) { return !a || n.start < a.start ? n : a; }, null);
      t = d3.zoomIdentity.translate(s.w / 2 - top.x * START_K, 24 - (top.y - top.height / 2) * START_K).scale(START_K);
    }
    (animate ? this.svg.transition().duration(350) : this.svg).call(this.zoom.transform, t);
    if (!animate) { this.renderText(); this.drawMinimap(); }
  };

  Program.prototype.reveal = function (n) {
    if (!this.svg) return;
    var s = this.size();
    var t = d3.zoomTransform(this.svg.node());
    var x = n.x * t.k + t.x, y = n.y * t.k + t.y;
    var margin = 40;
    if (t.k >= TEXT_K && x > margin && x < s.w - margin && y > margin && y < s.h - margin) return;
    var k = Math.max(t.k, START_K);
    this.svg.transition().duration(300).call(this.zoom.transform, d3.zoomIdentity.translate(s.w / 2 - n.x * k, s.h / 2 - n.y * k).scale(k));
  };

  // ---- the minimap: every block as a dot, the view as a rectangle; click to move ----
  Program.prototype.initMinimap = function () {
    var self = this;
    this.mm = this.sec.querySelector('canvas.minimap');
    if (!this.mm || this.mmInit) return;
    this.mmInit = true;
    var move = function (ev) {
      var r = self.mm.getBoundingClientRect();
      var m = self.mmScale;
      if (!m) return;
      var gx = (ev.clientX - r.left - m.ox) / m.k, gy = (ev.clientY - r.top - m.oy) / m.k;
      var s = self.size(), t = d3.zoomTransform(self.svg.node());
      self.svg.call(self.zoom.transform, d3.zoomIdentity.translate(s.w / 2 - gx * t.k, s.h / 2 - gy * t.k).scale(t.k));
    };
    this.mm.addEventListener('mousedown', function (ev) { ev.preventDefault(); move(ev); self.mmDrag = true; });
    window.addEventListener('mousemove', function (ev) { if (self.mmDrag) move(ev); });
    window.addEventListener('mouseup', function () { self.mmDrag = false; });
  };

  Program.prototype.drawMinimap = function () {
    if (!this.mm || !this.svg) return;
    var c = this.mm.getContext('2d');
    if (!c) return;
    var g = this.graph, W = this.mm.width, H = this.mm.height;
    var k = Math.min((W - 8) / Math.max(1, g.width), (H - 8) / Math.max(1, g.height));
    var ox = (W - g.width * k) / 2, oy = (H - g.height * k) / 2;
    this.mmScale = { k: k, ox: ox, oy: oy };
    c.clearRect(0, 0, W, H);
    c.fillStyle = 'rgba(255,255,255,0.92)';
    c.fillRect(0, 0, W, H);
    g.nodes.forEach(function (n) {
      c.fillStyle = n.failing ? '#cf222e' : n.onPath ? '#d4760a' : n.collapsed ? '#8250df' : '#9aa3ad';
      var w = Math.max(1.5, n.width * k), h = Math.max(1.5, n.height * k);
      c.fillRect(ox + (n.x - n.width / 2) * k, oy + (n.y - n.height / 2) * k, w, h);
    });
    var t = d3.zoomTransform(this.svg.node()), s = this.size();
    c.strokeStyle = '#0969da';
    c.lineWidth = 1.5;
    c.strokeRect(ox + (-t.x / t.k) * k, oy + (-t.y / t.k) * k, (s.w / t.k) * k, (s.h / t.k) * k);
  };

  // The node drawn for pc in the current view (a block, or its collapsed subprogram).
  Program.prototype.nodeOf = function (pc) {
    var nodes = this.graph ? this.graph.nodes : [];
    for (var i = 0; i < nodes.length; i++) if (!nodes[i].collapsed && pc >= nodes[i].start && pc <= nodes[i].end) return nodes[i];
    for (var j = 0; j < nodes.length; j++) if (nodes[j].collapsed && pc >= nodes[j].start && pc <= nodes[j].end) return nodes[j];
    return null;
  };

  Program.prototype.markSel = function (pc, on) {
    var ln = this.lines && this.lines[pc];
    if (ln) ln.rect.classList.toggle('selline', on);
    var b = this.nodeOf(pc);
    if (b && this.nodes[b.id]) this.nodes[b.id].g.classList.toggle('sel', on);
  };

  Program.prototype.select = function (pc, origin) {
    if (!(pc >= 0 && pc < this.v.insns)) return;
    active = this;
    var old = this.sel;
    if (old !== null) this.markSel(old, false);
    this.sel = pc;
    if (old !== null) this.refreshRow(old);
    if (origin !== 'listing') this.scrollToPc(pc);
    this.refreshRow(pc);
    var b = this.nodeOf(pc);
    if (b && this.nodes && this.nodes[b.id]) {
      if (origin !== 'cfg' && origin !== 'init') this.reveal(b);
      if (!this.textDone[b.id]) { this.textDone[b.id] = 1; this.nodeText(b); }
    }
    this.markSel(pc, true);
    this.renderState(pc);
  };

  Program.prototype.move = function (delta) {
    if (this.sel === null) return;
    var i = this.order.indexOf(this.sel) + delta;
    if (i >= 0 && i < this.order.length) this.select(this.order[i], 'key');
  };

  Program.prototype.renderState = function (pc) {
    var body = this.sec.querySelector('aside.state .sbody');
    if (!body) return;
    body.textContent = '';
    if (pc === null) { body.appendChild(el('div', 'empty', 'Click an instruction or a block to see the verifier\'s state there.')); return; }
    body.appendChild(el('div', 'shead', pc + ': ' + (this.v.text[pc] || '')));
    var st = this.v.pcStates ? this.state(pc) : null;
    var sub = el('div', 'ssub');
    var err = this.v.error && this.v.error.pc === pc ? this.v.error : null;
    if (err) sub.appendChild(el('span', 'chip reject', 'failing instruction'));
    if (st) {
      if (st.path) sub.appendChild(el('span', 'chip warn', 'state on the failing path'));
      sub.appendChild(el('span', 'chip neutral', st.n === 1 ? 'processed once' : 'processed ' + st.n + ' times' + (st.path ? '' : ' (first shown)')));
      if (st.frame > 0) sub.appendChild(el('span', 'chip neutral', 'frame ' + st.frame));
    }
    body.appendChild(sub);
    var src = this.srcAt[pc];
    if (src) body.appendChild(el('div', 'srcline', src.file + ':' + src.line + '  ' + String(src.text).trim()));
    if (err) body.appendChild(el('div', 'diagline', err.message));
    var ex = this.v.explain;
    var im = ex && ex.imprecision;
    if (im && im.pc === pc) {
      var box = el('div', 'imprbox');
      box.appendChild(el('b', '', 'Where the verifier lost precision' + (im.cls ? ' (' + im.cls.replace(/_/g, ' ') + ')' : '') + ':'));
      if (im.why) box.appendChild(el('span', 'mono', im.why));
      box.appendChild(el('b', '', 'the verifier keeps'));
      box.appendChild(el('span', 'mono', im.abstract));
      box.appendChild(el('b', '', 'while this path can only produce'));
      box.appendChild(el('span', 'mono', im.concrete));
      body.appendChild(box);
    }
    var fixes = (ex && ex.fixes) || [];
    for (var f = 0; f < fixes.length; f++) {
      if (!fixes[f].verified || fixes[f].pc !== pc) continue;
      var fb = el('div', 'fixbox');
      fb.appendChild(el('b', '', 'Verified fix: ' + fixes[f].description));
      if (fixes[f].c) fb.appendChild(el('span', 'mono', fixes[f].c));
      body.appendChild(fb);
    }
    if (!st) {
      var t = this.v.pcStates;
      body.appendChild(el('div', 'empty', this.v.statesNote ? this.v.statesNote : t && t.omitted ? 'No state embedded for this instruction: ' + t.omitted + '.' : 'The verifier never processed this instruction on any path it explored.'));
      return;
    }
    var before = {}, after = {}, names = [], seen = {};
    st.before.forEach(function (e) { before[e[0]] = e[1]; if (!seen[e[0]]) { seen[e[0]] = 1; names.push(e[0]); } });
    st.after.forEach(function (e) { after[e[0]] = e[1]; if (!seen[e[0]]) { seen[e[0]] = 1; names.push(e[0]); } });
    var tbl = el('table', 'regs');
    var hr = el('tr');
    hr.appendChild(el('th', '', 'reg'));
    hr.appendChild(el('th', '', 'before \u2192 after'));
    tbl.appendChild(hr);
    names.forEach(function (n) {
      var tr = el('tr', before[n] !== after[n] ? 'chg' : '');
      tr.appendChild(el('td', 'n', n));
      var td = el('td');
      if (before[n] !== undefined) td.appendChild(renderValue(before[n]));
      else td.appendChild(el('div', 'val f', 'not initialized'));
      if (after[n] !== before[n]) {
        var a = el('div', 'after');
        if (after[n] !== undefined) a.appendChild(renderValue(after[n]));
        else a.appendChild(el('span', 'val f', 'not initialized'));
        td.appendChild(a);
      }
      tr.appendChild(td);
      tbl.appendChild(tr);
    });
    body.appendChild(tbl);
    if (!st.exact) body.appendChild(el('div', 'foot', 'Replayed from the verifier log: the log names only the registers an instruction touches, so effects on others (bounds learned by same-id packet pointers, null checks of copies) may not show.'));
  };

  var programs = [];
  var active = null;
  (data.programs || []).forEach(function (v) {
    var p = new Program(unpackView(v));
    programs.push(p);
    try { p.init(); } catch (e) { if (window.console) console.error(e); }
  });
  document.addEventListener('keydown', function (ev) {
    if (!active || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'ArrowDown' || ev.key === 'j') { active.move(1); ev.preventDefault(); }
    else if (ev.key === 'ArrowUp' || ev.key === 'k') { active.move(-1); ev.preventDefault(); }
  });
  window.bpflabReport = { programs: programs };
})();
`;
