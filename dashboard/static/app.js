// The atrun dashboard: renders the state that /events streams (see
// package dashboard). Every value is put in the page as text, never as
// HTML: modem lines can hold anything.
"use strict";

const $ = (id) => document.getElementById(id);
let state = null;
let offset = 0; // this clock minus the server's
let received = 0; // when the last state arrived, by this clock

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function fmtMs(ms) {
  if (ms < 1) return Math.round(ms * 1000) + " µs";
  if (ms < 1000) return (ms < 10 ? ms.toFixed(1) : Math.round(ms)) + " ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + " s";
  const m = Math.floor(s / 60);
  return m + ":" + String(Math.floor(s % 60)).padStart(2, "0") + " min";
}

function fmtClock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h + ":" + String(m).padStart(2, "0") + (h === 0 ? ":" + String(s % 60).padStart(2, "0") : "");
}

function serverNow() { return Date.now() - offset; }

function since(iso) { return iso ? serverNow() - Date.parse(iso) : 0; }

// portName shows a port's last element large and its directory small:
// /dev/serial/by-id/usb-SimTech_... is told apart by its end.
function portName(port, cls) {
  const e = el("div", cls);
  e.title = port;
  const i = port.startsWith("tcp://") ? -1 : port.lastIndexOf("/");
  if (i > 0) e.append(el("span", "dir", port.slice(0, i + 1)));
  e.append(el("span", "base", port.slice(i + 1)));
  return e;
}

function renderTotals(t) {
  $("t-runs").textContent = t.runs;
  $("t-passed").textContent = t.passed;
  $("t-failed").textContent = t.failed;
  $("t-rate").textContent = t.runs ? (100 * t.passed / t.runs).toFixed(1) + "%" : "–";
}

function renderPorts(ports, repeat) {
  const box = $("ports");
  box.replaceChildren();
  for (const p of ports) {
    const card = el("article", "port " + p.status);
    card.dataset.port = p.port;
    card.append(portName(p.port, "name"));
    const verdict = { pass: "PASS", fail: "FAIL", running: "RUNNING", waiting: "WAITING" }[p.status] || p.status;
    card.append(el("div", "verdict", verdict));
    if (p.status === "running") {
      const step = el("div", "step", p.step || "opening the port");
      if (p.pos) step.title = p.pos;
      card.append(step);
    } else if (p.detail) {
      card.append(el("div", "detail", p.detail));
    }
    if (p.status === "running") {
      const elapsed = el("div", "elapsed");
      elapsed.dataset.stepStart = p.step_start || "";
      elapsed.dataset.runStart = p.run_start || "";
      card.append(elapsed);
    }
    const runs = repeat > 1 ? "run " + p.run + "/" + repeat + " · " + p.passes + " pass " + p.fails + " fail" : (p.last_ms ? "took " + fmtMs(p.last_ms) : "");
    card.append(el("div", "meta", runs));
    box.append(card);
  }
  tick();
}

function renderFailures(fs) {
  const list = $("failures");
  list.replaceChildren();
  $("no-failures").hidden = fs.length > 0;
  for (const f of fs) {
    const li = el("li");
    const head = el("div", "head");
    const name = portName(f.port, "port-name");
    if (f.run > 1) name.append(" run " + f.run);
    head.append(name);
    head.append(el("span", "time", new Date(f.time).toLocaleTimeString()));
    head.append(el("span", "kind", f.kind));
    li.append(head);
    const where = el("div");
    if (f.pos) where.append(el("code", "pos", f.pos), document.createTextNode(": "));
    if (f.step) where.append(el("code", "stepname", f.step), document.createTextNode(": "));
    where.append(el("span", "msg", f.message));
    li.append(where);
    if (f.last_received && f.last_received.length) {
      li.append(el("pre", "last", f.last_received.join("\n")));
    }
    list.append(li);
  }
}

// renderChart draws each step's median as a bar, min to max as a line
// and the 95th percentile as a tick.
function renderChart(steps, runs) {
  const box = $("chart");
  box.replaceChildren();
  $("no-steps").hidden = steps.length > 0;
  $("chart-note").textContent = steps.length ? "median bar, min–max line, 95th percentile tick, over " + runs + " run" + (runs === 1 ? "" : "s") : "";
  if (!steps.length) return;
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, label = 270, right = 70, row = 24, top = 6;
  const H = top + row * steps.length + 22;
  const maxMs = Math.max(...steps.map((s) => s.max_ms), 0.001);
  const x = (ms) => label + (W - label - right) * ms / maxMs;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "step timings");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  steps.forEach((s, i) => {
    const y = top + i * row;
    const name = s.step.length > 38 ? s.step.slice(0, 37) + "…" : s.step;
    add("text", { x: 0, y: y + 12 }, name).append(Object.assign(document.createElementNS(NS, "title"), { textContent: s.pos + "  " + s.step }));
    add("rect", { class: "bar", x: label, y: y + 3, width: Math.max(1, x(s.median_ms) - label), height: row - 10 });
    add("line", { class: "range", x1: x(s.min_ms), x2: x(s.max_ms), y1: y + row / 2 - 2, y2: y + row / 2 - 2 });
    add("line", { class: "p95", x1: x(s.p95_ms), x2: x(s.p95_ms), y1: y + 2, y2: y + row - 6 });
    add("text", { x: W - right + 6, y: y + 12 }, fmtMs(s.median_ms));
  });
  add("text", { class: "axis", x: label, y: H - 6 }, "0");
  add("text", { class: "axis", x: W - right, y: H - 6, "text-anchor": "end" }, fmtMs(maxMs));
  box.append(svg);
}

function render() {
  if (!state) return;
  $("title").textContent = state.title;
  document.title = state.title;
  $("script").textContent = state.script || "";
  renderTotals(state.totals);
  renderPorts(state.ports, state.repeat);
  renderFailures(state.failures);
  renderChart(state.steps, state.totals.runs);
}

// tick updates the clocks between events.
function tick() {
  if (!state) return;
  $("t-shift").textContent = fmtClock(since(state.started));
  for (const e of document.querySelectorAll(".elapsed[data-run-start]")) {
    const run = e.dataset.runStart ? fmtMs(since(e.dataset.runStart)) : "";
    const step = e.dataset.stepStart ? fmtMs(since(e.dataset.stepStart)) : "";
    e.textContent = step && run ? "step " + step + " · run " + run : run;
  }
}

function connect() {
  const conn = $("conn");
  const es = new EventSource("events");
  es.addEventListener("state", (ev) => {
    state = JSON.parse(ev.data);
    received = Date.now();
    offset = received - Date.parse(state.now);
    conn.textContent = "live";
    conn.className = "conn live";
    render();
  });
  es.onerror = () => {
    conn.className = "conn lost";
    conn.textContent = state ? "disconnected · last update " + new Date(received).toLocaleTimeString() : "connecting…";
  };
}

setInterval(tick, 250);
connect();
