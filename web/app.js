/* hotconf dashboard. Every value from a config is written with
 * textContent (never innerHTML), so markup in a value shows as text.
 * Live mode: data from /api/..., updates from /api/events (SSE).
 * Static mode (an exported file): data from the embedded #hc-state block,
 * the page reloads itself every 5 s (meta refresh). */
(function () {
  'use strict';
  var stateEl = document.getElementById('hc-state');
  var STATIC = stateEl ? JSON.parse(stateEl.textContent) : null;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var token = null;
  var pending = null;
  var flashIds = {};

  /* The token arrives once in the URL fragment (#token=...), printed by
   * hotconf watch --http; it is kept for this tab only and removed from
   * the address bar so it is not bookmarked or shared by accident. */
  try { token = sessionStorage.getItem('hotconf-token'); } catch (e) { token = null; }
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    token = decodeURIComponent(m[1]);
    try { sessionStorage.setItem('hotconf-token', token); } catch (e) { /* private mode */ }
    history.replaceState(null, '', location.pathname + location.search);
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') n.textContent = attrs[k];
        else if (k === 'cls') n.className = attrs[k];
        else n.setAttribute(k, attrs[k]);
      });
    }
    (kids || []).forEach(function (k) { if (k) n.appendChild(k); });
    return n;
  }

  function svg(tag, attrs) {
    var n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') n.textContent = attrs[k]; else n.setAttribute(k, attrs[k]);
    });
    return n;
  }

  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }

  function api(path) {
    if (!STATIC) {
      return fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) {
          return r.json().then(function (j) {
            if (!r.ok) throw new Error(j.error || r.statusText);
            return j;
          });
        });
    }
    var p = path.split('/');
    var out;
    if (path === '/api/configs') out = STATIC.configs;
    else if (path === '/api/stats') out = STATIC.stats;
    else if (p[2] === 'configs') {
      var d = STATIC.details[decodeURIComponent(p[3])] || {};
      out = p[4] === 'history' ? d.history : p[4] === 'attempts' ? d.attempts : d.config;
    }
    return out ? Promise.resolve(out) : Promise.reject(new Error('not in this export'));
  }

  function route() {
    var r = STATIC ? location.hash.replace(/^#/, '') : location.pathname;
    var mm = /^\/configs\/([^/]+)$/.exec(r);
    return mm ? { view: 'config', id: decodeURIComponent(mm[1]) } : { view: 'overview' };
  }

  function link(id) {
    return (STATIC ? '#/configs/' : '/configs/') + encodeURIComponent(id);
  }

  function fmtUs(us) {
    if (us === null || us === undefined) return '-';
    if (us < 1000) return Math.round(us) + ' µs';
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 1 : 0) + ' ms';
    return (us / 1e6).toFixed(2) + ' s';
  }

  function ago(iso) {
    if (!iso) return '-';
    var s = (Date.now() - Date.parse(iso)) / 1000;
    if (s < 0) s = 0;
    if (s < 60) return Math.round(s) + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function timeCell(iso) {
    var t = el('time', { text: ago(iso) });
    if (iso) { t.setAttribute('datetime', iso); t.title = iso; }
    return t;
  }

  function badge(status) { return el('span', { cls: 'badge ' + status, text: status }); }

  function card(k, v) {
    return el('div', { cls: 'card' }, [el('div', { cls: 'k', text: k }), el('div', { cls: 'v', text: String(v) })]);
  }

  function value(v) { return v === undefined ? '' : JSON.stringify(v); }

  /* ---- charts ---- */

  function barChart(box, bars, labels) {
    clear(box);
    var W = 600, H = 120, pad = 18, top = 14;
    var max = 1;
    bars.forEach(function (b) { max = Math.max(max, b.a + (b.b || 0)); });
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img' });
    var w = (W - 2) / bars.length;
    bars.forEach(function (b, i) {
      var ha = (H - pad - top) * b.a / max, hb = (H - pad - top) * (b.b || 0) / max;
      var x = 1 + i * w;
      if (b.a) {
        var r = svg('rect', { x: x + 1, y: H - pad - ha, width: Math.max(w - 2, 1), height: ha, 'class': 'bar' });
        r.appendChild(svg('title', { text: b.title }));
        s.appendChild(r);
      }
      if (b.b) {
        var f = svg('rect', { x: x + 1, y: H - pad - ha - hb, width: Math.max(w - 2, 1), height: hb, 'class': 'bar fail' });
        f.appendChild(svg('title', { text: b.title }));
        s.appendChild(f);
      }
    });
    labels.forEach(function (l) {
      s.appendChild(svg('text', { x: 1 + l.i * w, y: H - 4, 'class': 'axis', text: l.text }));
    });
    s.appendChild(svg('text', { x: W - 2, y: 10, 'class': 'axis', 'text-anchor': 'end', text: 'max ' + max }));
    box.appendChild(s);
  }

  function drawReloads(stats) {
    var tl = stats.timeline || [];
    var bars = tl.map(function (p) {
      return { a: p.reloads, b: p.failures,
        title: p.time.slice(11, 16) + ' UTC: ' + p.reloads + ' applied, ' + p.failures + ' failed' };
    });
    var labels = [];
    for (var i = 0; i < tl.length; i += 15) labels.push({ i: i, text: '-' + (tl.length - i) + ' min' });
    barChart($('chart-reloads'), bars, labels);
  }

  /* The engine sends only non-empty buckets ("<2us", "<4us", ...,
   * ">=Nus"); the chart shows a contiguous range around them. */
  function drawLatency(stats) {
    var h = (stats.total && stats.total.latency_histogram) || {};
    var byIdx = {}, lo = 99, hi = -1;
    Object.keys(h).forEach(function (k) {
      var n = parseInt(k.replace(/[^0-9]/g, ''), 10);
      var i = Math.round(Math.log(n) / Math.LN2) + (k.charAt(0) === '>' ? 1 : 0);
      byIdx[i] = h[k];
      lo = Math.min(lo, i); hi = Math.max(hi, i);
    });
    if (hi < 0) { lo = 6; hi = 12; }
    lo = Math.max(0, lo - 2); hi = Math.max(hi + 2, lo + 9);
    var bars = [], labels = [];
    for (var i = lo; i <= hi; i++) {
      var us = Math.pow(2, i);
      bars.push({ a: byIdx[i] || 0, title: '< ' + fmtUs(us) + ': ' + (byIdx[i] || 0) + ' reloads' });
      if ((i - lo) % 2 === 0) labels.push({ i: i - lo, text: '<' + fmtUs(us) });
    }
    barChart($('chart-latency'), bars, labels);
  }

  /* ---- overview ---- */

  function renderOverview() {
    return Promise.all([api('/api/configs'), api('/api/stats')]).then(function (r) {
      var configs = r[0].configs, stats = r[1], t = stats.total || {};
      var live = configs.filter(function (c) { return c.status === 'live'; }).length;
      $('crumb').textContent = '';
      var cards = $('cards');
      clear(cards);
      cards.appendChild(card('Configs', configs.length));
      cards.appendChild(card('Live', live));
      cards.appendChild(card('Not live', configs.length - live));
      cards.appendChild(card('Reloads', t.reloads || 0));
      cards.appendChild(card('Rejected', (t.parse_failures || 0) + (t.validation_failures || 0)));
      cards.appendChild(card('Rollbacks', t.rollbacks || 0));
      drawReloads(stats);
      drawLatency(stats);
      var tb = $('configs').tBodies[0];
      clear(tb);
      configs.forEach(function (c) {
        var err = el('td', { cls: 'errtext' });
        if (c.last_error) err.textContent = c.last_error;
        var tr = el('tr', { 'data-id': c.id }, [
          el('td', {}, [el('a', { href: link(c.id), text: c.config, cls: 'cfg' })]),
          el('td', { cls: 'status' }, [badge(c.status)]),
          el('td', { cls: 'version n', text: String(c.version) }),
          el('td', {}, [timeCell(c.since)]),
          err,
          el('td', { cls: 'n', text: String(c.reloads) }),
          el('td', { cls: 'n', text: String(c.failures) }),
          el('td', { cls: 'n', text: fmtUs(c.latency_p50_us) }),
          el('td', { cls: 'n', text: fmtUs(c.latency_p99_us) })
        ]);
        if (flashIds[c.id]) tr.className = 'flash';
        tb.appendChild(tr);
      });
      flashIds = {};
      footer(stats);
    });
  }

  function footer(stats) {
    var f = STATIC ? 'static export, generated ' + STATIC.generated + ', refreshes every 5 s'
      : 'hotconf ' + stats.version + ', up since ' + stats.started;
    $('foot').textContent = f;
  }

  /* ---- one config ---- */

  function diffTable(changes) {
    var t = el('table', { cls: 'diff' });
    changes.forEach(function (ch) {
      var cell = el('td');
      if (ch.op === 'changed') {
        cell.appendChild(el('del', { text: value(ch.old) }));
        cell.appendChild(document.createTextNode(' → '));
        cell.appendChild(el('ins', { text: value(ch.new) }));
      } else {
        cell.appendChild(el(ch.op === 'added' ? 'ins' : 'del', { text: value(ch.op === 'added' ? ch.new : ch.old) }));
      }
      t.appendChild(el('tr', {}, [
        el('td', { cls: 'op-' + ch.op, text: ch.op }),
        el('td', { text: ch.path === '' ? '(root)' : ch.path }),
        cell
      ]));
    });
    return t;
  }

  function renderConfig(id) {
    var base = '/api/configs/' + encodeURIComponent(id);
    return Promise.all([api(base), api(base + '/history'), api(base + '/attempts')]).then(function (r) {
      var c = r[0], hist = r[1].history, att = r[2].attempts;
      $('crumb').textContent = '/ ' + c.id;
      $('d-title').textContent = c.id;
      var st = $('d-status');
      st.className = 'badge ' + c.status;
      st.textContent = c.status;
      $('d-path').textContent = c.config;
      var e = $('d-error');
      e.hidden = !c.last_error;
      e.textContent = c.last_error || '';
      var cards = $('d-cards');
      clear(cards);
      cards.appendChild(card('Version', c.version));
      cards.appendChild(card('Reloads', c.reloads));
      cards.appendChild(card('Failures', c.failures));
      cards.appendChild(card('Rollbacks', c.rollbacks));
      cards.appendChild(card('Latency p50', fmtUs(c.latency_p50_us)));
      cards.appendChild(card('Latency p99', fmtUs(c.latency_p99_us)));
      $('d-version').textContent = 'version ' + c.version;
      $('d-doc').textContent = c.document === null ? '(no valid version yet)' : JSON.stringify(c.document, null, 2);

      var sel = $('d-target'), keep = sel.value;
      clear(sel);
      hist.forEach(function (h) {
        if (!h.live) sel.appendChild(el('option', { value: String(h.version), text: 'version ' + h.version + ' (' + h.trigger + ')' }));
      });
      if (keep) sel.value = keep;
      $('d-rollback').hidden = !!STATIC;
      $('d-rollback-btn').disabled = !sel.options.length;

      var ol = $('d-history');
      clear(ol);
      hist.forEach(function (h) {
        var head = el('div', {}, [
          el('strong', { text: 'version ' + h.version }),
          document.createTextNode(' '),
          h.live ? badge('live') : null,
          el('span', { cls: 'muted', text: ' ' + h.trigger + ', ' }),
          timeCell(h.time),
          el('span', { cls: 'muted', text: ', ' + h.size + ' bytes' })
        ]);
        var li = el('li', { cls: h.live ? 'live' : '', 'data-version': String(h.version) }, [head]);
        if (h.changes && h.changes.length) li.appendChild(diffTable(h.changes));
        else li.appendChild(el('div', { cls: 'muted', text: h.previous ? 'no change in the document' : 'first kept version' }));
        ol.appendChild(li);
      });

      var tb = $('d-attempts').tBodies[0];
      clear(tb);
      att.forEach(function (a) {
        /* the colour says how it went, the text what it was */
        var tone = a.outcome === 'missing' ? 'missing'
          : a.outcome === 'rejected' || a.outcome === 'vetoed' ? 'rejected' : 'live';
        tb.appendChild(el('tr', { 'data-outcome': a.outcome }, [
          el('td', {}, [timeCell(a.time)]),
          el('td', {}, [badge(tone)]),
          el('td', { cls: 'n', text: a.version === null || a.version === undefined ? '-' : String(a.version) }),
          el('td', { text: a.trigger || '' }),
          el('td', { cls: 'n', text: fmtUs(a.latency_us) }),
          el('td', { cls: 'changed', text: (a.changed || []).join(', ') }),
          el('td', { cls: 'errtext', text: a.error || '' })
        ]));
        tb.lastChild.firstChild.nextSibling.firstChild.textContent = a.outcome;
      });
      return api('/api/stats').then(footer);
    });
  }

  function render() {
    var r = route();
    $('overview').hidden = r.view !== 'overview';
    $('detail').hidden = r.view !== 'config';
    var p = r.view === 'config' ? renderConfig(r.id) : renderOverview();
    return p.catch(function (e) {
      $('foot').textContent = 'error: ' + e.message;
    });
  }

  /* Coalesces bursts of events into one refresh. */
  function refreshSoon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; render(); }, 50);
  }

  function rollback() {
    var id = route().id, v = parseInt($('d-target').value, 10), msg = $('d-rollback-msg');
    if (!token) {
      token = window.prompt('Bearer token (the http.token file in the state folder):');
      if (!token) return;
      try { sessionStorage.setItem('hotconf-token', token); } catch (e) { /* private mode */ }
    }
    $('d-rollback-btn').disabled = true;
    msg.textContent = 'rolling back…';
    fetch('/api/configs/' + encodeURIComponent(id) + '/rollback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ version: v })
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.status === 401) { token = null; try { sessionStorage.removeItem('hotconf-token'); } catch (e) { /* */ } }
        if (!r.ok) throw new Error(j.error || r.statusText);
        msg.textContent = 'version ' + v + ' is live again as version ' + j.version;
      });
    }).catch(function (e) {
      msg.textContent = 'rollback failed: ' + e.message;
    }).then(render);
  }

  function connect() {
    var conn = $('conn');
    var es = new EventSource('/api/events');
    es.addEventListener('config', function (ev) {
      try { flashIds[JSON.parse(ev.data).id] = 1; } catch (e) { /* ignore */ }
      refreshSoon();
    });
    es.addEventListener('removed', refreshSoon);
    /* reset: we were too far behind (or just connected): fetch it all */
    es.addEventListener('reset', refreshSoon);
    es.onopen = function () { conn.textContent = 'live'; conn.className = 'conn live'; refreshSoon(); };
    es.onerror = function () {
      conn.textContent = 'reconnecting'; conn.className = 'conn down';
      if (es.readyState === 2) { es.close(); setTimeout(connect, 1000); }
    };
  }

  $('d-rollback-btn').addEventListener('click', rollback);
  if (STATIC) {
    $('conn').textContent = 'static';
    $('conn').className = 'conn static';
    $('home').setAttribute('href', '#');
    window.addEventListener('hashchange', render);
  } else {
    connect();
  }
  render();
  /* relative times ("3 s ago") stay true without a refetch */
  setInterval(function () {
    document.querySelectorAll('time[datetime]').forEach(function (t) { t.textContent = ago(t.getAttribute('datetime')); });
  }, 5000);
}());
