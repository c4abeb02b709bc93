// Shows which server answered: each click asks /whoami again, so behind the load balancer the
// name changes as requests are spread over the backends.
"use strict";

const nameEl = document.getElementById("name");
const historyEl = document.getElementById("history");

async function whoami() {
  try {
    const response = await fetch("/whoami", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { name } = await response.json();
    nameEl.textContent = name;
    const item = document.createElement("li");
    item.textContent = `${new Date().toLocaleTimeString()} ${name}`;
    historyEl.prepend(item);
    while (historyEl.children.length > 10) historyEl.lastElementChild.remove();
  } catch (error) {
    nameEl.textContent = `unreachable (${error.message})`;
  }
}

// One WebSocket to /ws, opened on first use; the server sends every message back.
let socket = null;
const echoedEl = document.getElementById("echoed");

function echo(text) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(text);
    return;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws`);
  socket.onopen = () => socket.send(text);
  socket.onmessage = (event) => { echoedEl.textContent = `Echoed: ${event.data}`; };
  socket.onclose = (event) => { echoedEl.textContent = `Closed (${event.code}).`; socket = null; };
}

document.getElementById("again").addEventListener("click", whoami);
document.getElementById("echo").addEventListener("submit", (event) => {
  event.preventDefault();
  echo(document.getElementById("message").value);
});
whoami();
