/**
 * The report page's script (a classic script: browsers refuse module scripts over file://).
 * It reads the JSON island, draws each CFG with d3 from the coordinates laid out in Node,
 * and links the graph, the listing and the state panel. Every string from the input goes
 * through textContent / d3's .text(), never through innerHTML.
 */
export const REPORT_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var island = document.getElementById('bpflab-data');
  if (!island) return;
  var data = JSON.parse(island.textContent || '{}');
  var LINE_H = 16, PAD = 7;

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
    this.rows = {};
    this.lines = {};
    this.nodes = {};
    this.order = [];
    this.sel = null;
    this.src = [];
    var cur = null;
    for (var i = 0; i < view.listing.length; i++) {
      var r = view.listing[i];
      if (r.source) cur = r.source;
      this.src[r.pc] = cur;
      if (!r.second) this.order.push(r.pc);
    }
  }

  Program.prototype.init = function () {
    var self = this;
    if (!this.sec) return;
    var trs = this.sec.querySelectorAll('tr.insn');
    for (var i = 0; i < trs.length; i++) {
      (function (tr) {
        var pc = Number(tr.getAttribute('data-pc'));
        self.rows[pc] = tr;
        tr.addEventListener('click', function (ev) {
          var t = ev.target;
          if (t && t.classList && t.classList.contains('tgt')) { ev.preventDefault(); self.select(Number(t.getAttribute('data-pc')), 'link'); return; }
          self.select(pc, 'listing');
        });
      })(trs[i]);
    }
    var links = this.sec.querySelectorAll('[data-goto]');
    for (var j = 0; j < links.length; j++) {
      (function (a) {
        a.addEventListener('click', function (ev) { ev.preventDefault(); self.select(Number(a.getAttribute('data-goto')), 'link'); });
      })(links[j]);
    }
    this.drawCfg();
    var start = this.v.error ? this.v.error.pc : null;
    if (start !== null && start >= 0 && start < this.v.insns) this.select(start, 'init');
    else this.renderState(null);
    var reset = this.sec.querySelector('button.fit');
    if (reset) reset.addEventListener('click', function () { self.fit(true); });
  };

  Program.prototype.drawCfg = function () {
    var self = this, g = this.v.graph;
    var wrap = this.sec.querySelector('.cfg-wrap');
    if (!g || !wrap || typeof d3 === 'undefined') return;
    var svg = d3.select(wrap).append('svg').attr('class', 'cfg').attr('role', 'img').attr('aria-label', 'control-flow graph of ' + this.v.name);
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
    var node = vp.append('g').attr('class', 'nodes').selectAll('g').data(g.nodes).join('g')
      .attr('class', function (n) { return 'node' + (n.onPath ? ' path' : '') + (n.failing ? ' fail' : ''); })
      .attr('data-block', function (n) { return n.id; })
      .attr('transform', function (n) { return 'translate(' + (n.x - n.width / 2) + ',' + (n.y - n.height / 2) + ')'; });
    node.append('rect').attr('class', 'box').attr('width', function (n) { return n.width; }).attr('height', function (n) { return n.height; })
      .attr('rx', 6).attr('ry', 6)
      .on('click', function (ev, n) { self.select(n.start, 'cfg'); });
    node.append('title').text(function (n) { return 'block ' + n.start + '\u2013' + n.end + (n.subprog ? ' (subprogram ' + n.subprog + ')' : ''); });
    node.each(function (n) {
      var gs = d3.select(this);
      self.nodes[n.id] = { g: this, n: n };
      n.lines.forEach(function (l, i) {
        var y = PAD + i * LINE_H;
        if (l.gap !== undefined) {
          gs.append('text').attr('class', 'gap').attr('x', 10).attr('y', y + 12).text('\u22ef ' + l.gap + ' more insn' + (l.gap === 1 ? '' : 's') + ' \u22ef');
          return;
        }
        var fail = self.v.error && self.v.error.pc === l.pc;
        var impr = self.v.explain && self.v.explain.imprecision && self.v.explain.imprecision.pc === l.pc;
        var hl = gs.append('rect').attr('class', 'hl' + (fail ? ' failline' : impr ? ' imprline' : '')).attr('x', 3).attr('y', y).attr('width', n.width - 6).attr('height', LINE_H).attr('rx', 3)
          .attr('data-pc', l.pc).on('click', function (ev) { ev.stopPropagation(); self.select(l.pc, 'cfg'); });
        gs.append('text').attr('x', 10).attr('y', y + 12).text(l.text);
        self.lines[l.pc] = { rect: hl.node(), node: n };
      });
    });
    this.svg = svg;
    this.vp = vp;
    this.zoom = d3.zoom().scaleExtent([0.08, 3]).on('zoom', function (ev) { vp.attr('transform', ev.transform); });
    svg.call(this.zoom).on('dblclick.zoom', null);
    this.fit(false);
  };

  Program.prototype.size = function () {
    var box = this.svg.node().getBoundingClientRect();
    return { w: box.width || 800, h: box.height || 560 };
  };

  // Whole graph when it is readable at that scale, else the failing block at a comfortable scale.
  Program.prototype.fit = function (animate) {
    if (!this.svg) return;
    var g = this.v.graph, s = this.size();
    var k = Math.min(1.1, (s.w - 32) / Math.max(1, g.width), (s.h - 32) / Math.max(1, g.height));
    var t;
    var fail = g.nodes.filter(function (n) { return n.failing; })[0];
    if (k < 0.5 && fail) { k = 0.9; t = d3.zoomIdentity.translate(s.w / 2 - fail.x * k, s.h / 2 - fail.y * k).scale(k); }
    else t = d3.zoomIdentity.translate((s.w - g.width * k) / 2, Math.max(16, (s.h - g.height * k) / 2)).scale(k);
    (animate ? this.svg.transition().duration(350) : this.svg).call(this.zoom.transform, t);
  };

  Program.prototype.reveal = function (n) {
    if (!this.svg) return;
    var s = this.size();
    var t = d3.zoomTransform(this.svg.node());
    var x = n.x * t.k + t.x, y = n.y * t.k + t.y;
    var margin = 40;
    if (x > margin && x < s.w - margin && y > margin && y < s.h - margin) return;
    var k = Math.max(t.k, 0.6);
    this.svg.transition().duration(300).call(this.zoom.transform, d3.zoomIdentity.translate(s.w / 2 - n.x * k, s.h / 2 - n.y * k).scale(k));
  };

  Program.prototype.blockOf = function (pc) {
    var nodes = this.v.graph ? this.v.graph.nodes : [];
    for (var i = 0; i < nodes.length; i++) if (pc >= nodes[i].start && pc <= nodes[i].end) return nodes[i];
    return null;
  };

  Program.prototype.select = function (pc, origin) {
    if (!(pc >= 0 && pc < this.v.insns)) return;
    active = this;
    if (this.sel !== null) {
      var old = this.rows[this.sel];
      if (old) old.classList.remove('sel');
      var ol = this.lines[this.sel];
      if (ol) ol.rect.classList.remove('selline');
      var ob = this.blockOf(this.sel);
      if (ob && this.nodes[ob.id]) this.nodes[ob.id].g.classList.remove('sel');
    }
    this.sel = pc;
    var row = this.rows[pc];
    if (row) {
      row.classList.add('sel');
      if (origin !== 'listing') {
        var wrap = row.closest('.listing-wrap');
        if (wrap) wrap.scrollTop = row.offsetTop - wrap.clientHeight / 2;
      }
    }
    var ln = this.lines[pc];
    if (ln) ln.rect.classList.add('selline');
    var b = this.blockOf(pc);
    if (b && this.nodes[b.id]) {
      this.nodes[b.id].g.classList.add('sel');
      if (origin !== 'cfg' && origin !== 'init') this.reveal(b);
    }
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
    var row = null;
    for (var i = 0; i < this.v.listing.length; i++) if (this.v.listing[i].pc === pc) { row = this.v.listing[i]; break; }
    body.appendChild(el('div', 'shead', pc + ': ' + (row ? row.text : '')));
    var st = this.v.pcStates[String(pc)];
    var sub = el('div', 'ssub');
    var err = this.v.error && this.v.error.pc === pc ? this.v.error : null;
    if (err) sub.appendChild(el('span', 'chip reject', 'failing instruction'));
    if (st) {
      if (st.from === 'path') sub.appendChild(el('span', 'chip warn', 'state on the failing path'));
      sub.appendChild(el('span', 'chip neutral', st.n === 1 ? 'processed once' : 'processed ' + st.n + ' times' + (st.from === 'last' ? ' (last shown)' : '')));
      if (st.frame > 0) sub.appendChild(el('span', 'chip neutral', 'frame ' + st.frame));
    }
    body.appendChild(sub);
    var src = this.src[pc];
    if (src) body.appendChild(el('div', 'srcline', src.file + ':' + src.line + '  ' + src.text.trim()));
    if (err) body.appendChild(el('div', 'diagline', err.message));
    var im = this.v.explain && this.v.explain.imprecision;
    if (im && im.pc === pc) {
      var box = el('div', 'imprbox');
      box.appendChild(el('b', '', 'Imprecision (explain): the verifier keeps'));
      box.appendChild(el('span', 'mono', im.abstract));
      box.appendChild(el('b', '', 'while this path can only produce'));
      box.appendChild(el('span', 'mono', im.concrete));
      body.appendChild(box);
    }
    if (!st) {
      body.appendChild(el('div', 'empty', this.v.statesNote ? this.v.statesNote : 'The verifier never processed this instruction on any path it explored.'));
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
    var p = new Program(v);
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
