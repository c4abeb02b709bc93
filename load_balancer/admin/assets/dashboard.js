'use strict';
// Each server-sent event is a /stats snapshot with a "history" of requests/s per backend; the
// table is redrawn from it. Rows carry data-backend and data-state for tests and scripts.
const token = new URLSearchParams(location.search).get('token');
const eventsUrl = '/events' + (token ? '?token=' + encodeURIComponent(token) : '');
const body = document.querySelector('#backends tbody');
const connection = document.getElementById('connection');

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function drawChart(canvas, history) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#f0f3f7';
  ctx.fillRect(0, 0, w, h);
  if (!history || history.length < 2) return;
  const max = Math.max(1, ...history);
  const step = w / 299;  // five minutes of per-second samples across the width
  const x0 = w - step * (history.length - 1);
  ctx.beginPath();
  history.forEach((v, i) => {
    const x = x0 + i * step, y = h - 2 - (v / max) * (h - 4);
    if (i === 0)
      ctx.moveTo(x, y);
    else
      ctx.lineTo(x, y);
  });
  ctx.strokeStyle = '#1565c0';
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.fillStyle = '#556';
  ctx.font = '10px sans-serif';
  ctx.fillText(max.toFixed(max < 10 ? 1 : 0) + '/s', 2, 10);
}

function render(stats) {
  body.textContent = '';
  for (const b of stats.backends) {
    const row = body.insertRow();
    row.dataset.backend = b.address;
    row.dataset.state = b.state;
    cell(row, b.address);
    const state = cell(row, '');
    const badge = document.createElement('span');
    badge.className = 'state ' + b.state;
    badge.textContent = b.state;
    state.appendChild(badge);
    cell(row, b.weight, 'number');
    cell(row, b.active, 'number');
    cell(row, b.requests_per_s.toFixed(1), 'number');
    cell(row, (b.error_rate * 100).toFixed(1) + '%', 'number');
    cell(row, b.p99_ms.toFixed(1) + ' ms', 'number');
    cell(row, new Date(b.last_change_ms).toLocaleTimeString());
    const canvas = document.createElement('canvas');
    canvas.width = 300;
    canvas.height = 36;
    cell(row, '').appendChild(canvas);
    drawChart(canvas, b.history);
  }
  document.getElementById('empty').hidden = stats.backends.length > 0;
  const e = stats.proxy_errors;
  document.getElementById('proxy-errors').textContent =
      'Errors sent by the balancer: 502 ' + e['502'] + ', 503 ' + e['503'] + ', 504 ' + e['504'];
  document.getElementById('updated').textContent =
      'updated ' + new Date(stats.time_ms).toLocaleTimeString();
}

function connect() {
  const source = new EventSource(eventsUrl);
  source.onopen = () => {
    connection.textContent = 'live';
    connection.className = 'live';
  };
  source.onmessage = (event) => render(JSON.parse(event.data));
  // EventSource reconnects by itself; show that the numbers may be old meanwhile.
  source.onerror = () => {
    connection.textContent = 'reconnecting';
    connection.className = 'stale';
  };
}

connect();
