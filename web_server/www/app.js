// The store's page: which server answered (/whoami), a form to put and delete keys, and the
// store's contents, kept current by the server's pushes on /live.
"use strict";

const $ = (id) => document.getElementById(id);

// ---- Which server answered: each click asks /whoami again, so behind the load balancer the
// name changes as requests are spread over the backends.
async function whoami() {
  try {
    const response = await fetch("/whoami", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { name } = await response.json();
    $("name").textContent = name;
    const item = document.createElement("li");
    item.textContent = `${new Date().toLocaleTimeString()} ${name}`;
    $("history").prepend(item);
    while ($("history").children.length > 5) $("history").lastElementChild.remove();
  } catch (error) {
    $("name").textContent = `unreachable (${error.message})`;
  }
}

// ---- Versions: "<hlc>-<origin as 16 hex digits>". The hlc exceeds 2^53, hence BigInt.
function newer(a, b) {
  if (!b) return true;
  const [ha, oa] = a.split("-");
  const [hb, ob] = b.split("-");
  const x = BigInt(ha);
  const y = BigInt(hb);
  return x !== y ? x > y : oa > ob;
}

// ---- The contents: key -> {value, version}; a delete keeps its version (value null), so that
// an older put arriving later cannot bring the key back.
const rows = new Map();
let touched = new Set();  // keys changed by pushes since the last full load began

function apply(item) {
  const row = rows.get(item.key);
  if (row && !newer(item.version, row.version)) return;
  let value = item.value;
  if (item.value_base64 !== undefined) value = { base64: item.value_base64 };
  rows.set(item.key, { value, version: item.version });
  touched.add(item.key);
  scheduleRender();
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => { renderPending = false; render(); }, 0);
}

function shown(value) {
  const text = typeof value === "string" ? value : `base64: ${value.base64}`;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function render() {
  const body = $("kv").tBodies[0];
  const live = [...rows.entries()].filter(([, row]) => row.value !== null);
  live.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  body.replaceChildren(...live.map(([key, row]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    for (const [cls, text] of [["key", key], ["value", shown(row.value)], ["version", row.version]]) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      if (cls === "value" && typeof row.value !== "string") td.classList.add("binary");
      tr.append(td);
    }
    return tr;
  }));
  $("empty").hidden = live.length > 0;
}

// A full load: every listed key is applied by version; a key the list lacks was deleted while
// the page was not listening, unless a push changed it since this load began.
async function loadAll() {
  touched = new Set();
  const response = await fetch("/kv?limit=1000", { cache: "no-store" });
  if (!response.ok) throw new Error(`GET /kv: HTTP ${response.status}`);
  const { items } = await response.json();
  const listed = new Set(items.map((item) => item.key));
  for (const key of [...rows.keys()]) {
    if (!listed.has(key) && !touched.has(key)) rows.delete(key);
  }
  items.forEach(apply);
  scheduleRender();
}

// ---- /live: one socket, reopened with backoff (0.5 s doubling up to 10 s) when it closes.
// The list is loaded once the socket is open, so that no change falls between the two.
window.liveReady = false;
let backoff = 500;

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/live`);
  socket.onmessage = (event) => apply(JSON.parse(event.data));
  socket.onopen = async () => {
    backoff = 500;
    try {
      await loadAll();
      $("live").textContent = "live";
      $("live").className = "badge on";
      window.liveReady = true;
    } catch (error) {
      $("live").textContent = error.message;
      socket.close();
    }
  };
  socket.onclose = () => {
    window.liveReady = false;
    $("live").textContent = `reconnecting in ${backoff / 1000} s…`;
    $("live").className = "badge off";
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

// ---- The form. Keys go into the path as they are: their characters are all URL-safe, and the
// server refuses anything else.
const keyPattern = /^[A-Za-z0-9._~:@!$'()*+,;=\/-]{1,256}$/;

async function send(method) {
  const key = $("key").value;
  if (!keyPattern.test(key)) {
    $("outcome").textContent = "A key is 1 to 256 of A-Z a-z 0-9 . _ ~ : @ ! $ ' ( ) * + , ; = - /";
    return;
  }
  try {
    const init = { method };
    if (method === "PUT") init.body = $("value").value;
    const response = await fetch(`/kv/${key}`, init);
    const text = response.status === 204 ? "deleted" : (await response.text()).trim();
    const version = response.headers.get("X-Version");
    $("outcome").textContent = `${method} ${key}: ${response.status} ${text} (version ${version})`;
  } catch (error) {
    $("outcome").textContent = `${method} ${key}: ${error.message}`;
  }
}

$("again").addEventListener("click", whoami);
$("edit").addEventListener("submit", (event) => {
  event.preventDefault();
  send("PUT");
});
$("delete").addEventListener("click", () => send("DELETE"));
whoami();
connect();
