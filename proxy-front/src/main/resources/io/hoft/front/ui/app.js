// The hoft dashboard. Reads the front's /_hoft/ui/api and /_hoft/ui/charts every few seconds and
// draws them. Everything that comes from the front is written as text (textContent), never as
// markup; the charts are SVG documents the front drew, parsed as XML, not as HTML.
'use strict';

(function () {
  // ?refresh=N refreshes every N seconds (at least 1); every 5 by default.
  const REFRESH_MS = Math.max(1, Number(new URLSearchParams(location.search).get('refresh')) || 5) * 1000;
  const TOKEN = 'hoft.dashboard.token';
  const $ = (id) => document.getElementById(id);
  let selected = null;
  let refreshes = 0;
  let timer = null;

  class Unauthorized extends Error {}

  function credentialHeaders() {
    const token = sessionStorage.getItem(TOKEN);
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  async function get(path, asText) {
    const response = await fetch(path, { headers: credentialHeaders(), cache: 'no-store' });
    if (response.status === 401) {
      throw new Unauthorized();
    }
    if (!response.ok) {
      throw new Error(path + ' answered ' + response.status);
    }
    return asText ? response.text() : response.json();
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      tr.appendChild(cell instanceof Node ? wrap(cell) : el('td', cell));
    }
    return tr;
  }

  function wrap(node) {
    if (node.tagName === 'TD') {
      return node;
    }
    const td = document.createElement('td');
    td.appendChild(node);
    return td;
  }

  function age(fromIso, nowIso) {
    if (!fromIso) {
      return 'never';
    }
    const seconds = Math.max(0, (Date.parse(nowIso) - Date.parse(fromIso)) / 1000);
    if (seconds < 60) {
      return Math.round(seconds) + ' s ago';
    }
    if (seconds < 3600) {
      return Math.round(seconds / 60) + ' min ago';
    }
    if (seconds < 172800) {
      return Math.round(seconds / 3600) + ' h ago';
    }
    return Math.round(seconds / 86400) + ' d ago';
  }

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return (unit === 0 ? value : value.toFixed(1)) + ' ' + units[unit];
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleString() : '';
  }

  // Puts rows (or list items) in place. An existing one with the same data-key stays and only
  // its changed cells are replaced, so a refresh neither flickers nor takes the focus away.
  function fill(parent, rows) {
    const old = new Map();
    for (const node of parent.children) {
      if (node.dataset.key) {
        old.set(node.dataset.key, node);
      }
    }
    const wanted = rows.map((fresh) => {
      const kept = fresh.dataset.key && old.get(fresh.dataset.key);
      if (!kept || kept.tagName !== 'TR' || kept.cells.length !== fresh.cells.length) {
        return fresh;
      }
      kept.className = fresh.className;
      Array.from(fresh.cells).forEach((cell, i) => {
        const current = kept.cells[i];
        if (current.innerHTML !== cell.innerHTML || current.className !== cell.className) {
          kept.replaceChild(cell, current);
        }
      });
      return kept;
    });
    const current = Array.from(parent.children);
    if (current.length !== wanted.length || current.some((node, i) => node !== wanted[i])) {
      parent.replaceChildren(...wanted);
    }
  }

  function renderPeers(overview) {
    fill($('peers').tBodies[0], overview.peers.map((peer) => {
      const b = peer.backlog;
      const state = el('td', peer.state, 'state state-' + peer.state);
      const out = b.queuedMessages + ' queued, ' + b.unackedFiles + ' files unacknowledged (' + bytes(b.unackedBytes) + ')'
        + (b.oldestUnacked ? ', oldest sent ' + age(b.oldestUnacked, overview.now) : '')
        + (b.resends ? ', ' + b.resends + ' resends' : '');
      const back = b.inboundPendingFiles + ' files waiting, ' + b.partialMessages + ' messages incomplete';
      const link = peer.dialout ? (peer.dialout.connected ? ' (dialed in from ' + peer.dialout.remote + ')' : ' (not dialed in)') : '';
      const tr = row([peer.id, state, age(peer.lastHeard, overview.now) + link, out, back]);
      tr.dataset.peer = peer.id;
      tr.dataset.key = peer.id;
      return tr;
    }));
  }

  function renderCalls(overview) {
    $('in-flight').textContent = overview.inFlight + ' in flight';
    $('no-calls').hidden = overview.calls.length > 0;
    fill($('calls').tBodies[0], overview.calls.map((call) => {
      const tr = row([el('code', call.id), call.method, el('code', call.target), el('td', call.status, 'status status-' + call.status),
        call.responseStatus === null ? '' : call.responseStatus, age(call.accepted, overview.now)]);
      tr.dataset.id = call.id;
      tr.dataset.key = call.id;
      tr.className = 'call' + (call.id === selected ? ' selected' : '');
      tr.tabIndex = 0;
      tr.title = 'show the timeline of ' + call.id;
      return tr;
    }));
  }

  function renderCallbacks(overview) {
    $('no-callbacks').hidden = overview.callbacks.length > 0;
    fill($('callbacks').tBodies[0], overview.callbacks.map((job) => {
      const tr = row([el('code', job.requestId), job.kind === 'status' ? 'status ' + job.event : job.event,
        el('td', job.state, 'status status-' + job.state), job.attempts, job.lastError || job.failure || '',
        job.nextAttempt ? time(job.nextAttempt) : '', el('code', job.url)]);
      tr.dataset.id = job.requestId;
      tr.dataset.key = job.requestId + ' ' + job.kind + ' ' + job.event + ' ' + job.url;
      return tr;
    }));
  }

  function renderShare(overview) {
    const share = overview.share;
    $('share-off').hidden = share.enabled;
    $('files').hidden = !share.enabled;
    $('share-count').textContent = share.enabled ? share.total + (share.total === 1 ? ' file' : ' files') + (share.total > share.files.length
      ? ', the first ' + share.files.length + ' shown' : '') : '';
    fill($('files').tBodies[0], share.enabled ? share.files.map((file) => {
      const link = el('a', file.path);
      link.href = '/_hoft/files/' + file.path.split('/').map(encodeURIComponent).join('/');
      const tr = row([link, bytes(file.size), time(file.modified), file.peer]);
      tr.dataset.key = file.peer + ' ' + file.path;
      return tr;
    }) : []);
  }

  function renderChart(id, svgText) {
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') {
      throw new Error('the chart ' + id + ' is not SVG');
    }
    $(id).replaceChildren(document.importNode(svg, true));
  }

  async function showTimeline(id) {
    const call = await get('/_hoft/ui/api/calls/' + encodeURIComponent(id));
    $('timeline-id').textContent = call.id;
    $('timeline-summary').textContent = call.method + ' ' + call.target + ': ' + call.status
      + (call.response ? ', HTTP ' + call.response.status : '') + (call.error ? ' (' + call.error + ')' : '')
      + (call.attempt ? ', attempt ' + call.attempt : '');
    const start = Date.parse(call.timestamps.accepted);
    fill($('timeline-steps'), Object.entries(call.timestamps).map(([step, at]) => {
      const li = el('li');
      li.appendChild(el('span', step, 'step status-' + step));
      li.appendChild(document.createTextNode(' ' + time(at) + ' (+' + Math.max(0, Date.parse(at) - start) + ' ms)'));
      li.dataset.step = step;
      li.dataset.key = step;
      return li;
    }));
    const callbacks = $('timeline-callbacks');
    callbacks.replaceChildren();
    for (const job of call.callbacks) {
      const p = el('p', 'callback (' + job.kind + ' ' + job.event + ') to ' + job.url + ': ' + job.state);
      const list = el('ol');
      for (const a of job.attempts) {
        list.appendChild(el('li', time(a.started) + ': ' + a.outcome + (a.httpStatus ? ' ' + a.httpStatus : '')
          + (a.error ? ' (' + a.error + ')' : '') + ', ' + a.durationMs + ' ms'));
      }
      callbacks.append(p, list);
    }
    $('timeline').hidden = false;
  }

  async function refresh() {
    try {
      const [overview, calls, latency] = await Promise.all([get('/_hoft/ui/api/overview'),
        get('/_hoft/ui/charts/calls.svg', true), get('/_hoft/ui/charts/latency.svg', true)]);
      $('node').textContent = overview.node;
      $('caller').textContent = overview.caller ? 'signed in as ' + overview.caller : '';
      $('sign-out').hidden = !sessionStorage.getItem(TOKEN);
      renderPeers(overview);
      renderCalls(overview);
      renderCallbacks(overview);
      renderShare(overview);
      renderChart('chart-calls', calls);
      renderChart('chart-latency', latency);
      if (selected) {
        await showTimeline(selected);
      }
      $('problem').hidden = true;
      $('login').hidden = true;
      $('main').hidden = false;
      refreshes++;
      document.body.dataset.refreshes = String(refreshes);
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString() + ', every ' + REFRESH_MS / 1000 + ' s';
    } catch (e) {
      if (e instanceof Unauthorized) {
        const hadToken = sessionStorage.getItem(TOKEN);
        sessionStorage.removeItem(TOKEN);
        $('login-error').textContent = hadToken ? 'The front did not accept that credential.' : '';
        $('main').hidden = true;
        $('login').hidden = false;
        $('updated').textContent = 'signed out';
        return;
      }
      $('problem').textContent = 'Could not refresh: ' + e.message;
      $('problem').hidden = false;
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  function select(id) {
    selected = id;
    for (const tr of $('calls').tBodies[0].rows) {
      tr.classList.toggle('selected', tr.dataset.id === id);
    }
    showTimeline(id).catch((e) => {
      $('problem').textContent = 'Could not show ' + id + ': ' + e.message;
      $('problem').hidden = false;
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('calls').addEventListener('click', (event) => {
      const tr = event.target.closest('tr.call');
      if (tr) {
        select(tr.dataset.id);
      }
    });
    $('calls').addEventListener('keydown', (event) => {
      const tr = event.target.closest('tr.call');
      if (tr && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        select(tr.dataset.id);
      }
    });
    $('timeline-close').addEventListener('click', () => {
      selected = null;
      $('timeline').hidden = true;
      for (const tr of $('calls').tBodies[0].rows) {
        tr.classList.remove('selected');
      }
    });
    $('login').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (token) {
        sessionStorage.setItem(TOKEN, token);
        $('token').value = '';
        refresh();
      }
    });
    $('sign-out').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN);
      refresh();
    });
    refresh();
    schedule();
  });
}());
