// The bell, live: swaps it (and the bottom bar's count) from the server's event stream,
// or from a poll where there is no SSE, and mirrors the count on the app's icon badge.
// Everything shown arrives rendered and translated from the server.
const STREAM_URL = "/alerts/stream";
const POLL_URL = "/alerts/bell";
const POLL_MS = 30000;
const ERRORS_BEFORE_POLLING = 3;

const status = document.getElementById("bell-status");

function setBadge(count) {
  if (!("setAppBadge" in navigator)) return;
  const done = count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge();
  done.catch(() => {}); // not installed, or not allowed: the bell still shows the count
}

function apply(html) {
  const current = document.getElementById("bell");
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const fresh = template.content.querySelector("#bell");
  if (!current || !fresh || fresh.dataset.unread === undefined) return;
  const before = current.dataset.unread;
  const count = Number(fresh.dataset.unread);
  const label = fresh.getAttribute("aria-label");
  const figure = fresh.querySelector(".count-badge");
  current.replaceWith(fresh);
  for (const place of document.querySelectorAll("[data-unread-place]")) {
    place.setAttribute("aria-label", label);
    const badge = place.querySelector(".count-badge");
    if (badge && figure) {
      badge.textContent = figure.textContent;
      badge.hidden = count === 0;
    }
  }
  if (before !== fresh.dataset.unread) {
    if (status && before !== undefined) status.textContent = label;
    setBadge(count);
  }
}

let polling = null;

async function poll() {
  try {
    const response = await fetch(POLL_URL, {
      headers: { "HX-Request": "true" },
      redirect: "manual",
      cache: "no-store",
    });
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      stopPolling(); // signed out: the next page load asks them to sign in
      return;
    }
    if (response.ok) apply(await response.text());
  } catch {
    // offline for now: try again at the next tick
  }
}

function startPolling() {
  if (polling !== null) return;
  poll();
  polling = setInterval(poll, POLL_MS);
}

function stopPolling() {
  clearInterval(polling);
  polling = null;
}

function listen() {
  if (!("EventSource" in window)) {
    startPolling();
    return;
  }
  const source = new EventSource(STREAM_URL);
  let errors = 0;
  source.addEventListener("bell", (event) => {
    errors = 0;
    apply(JSON.parse(event.data).html);
  });
  source.addEventListener("signed-out", () => source.close());
  source.addEventListener("error", () => {
    errors += 1;
    // The browser retries by itself; after repeated failures, or when it has given up
    // (a proxy that will not stream), poll instead.
    if (errors >= ERRORS_BEFORE_POLLING || source.readyState === EventSource.CLOSED) {
      source.close();
      startPolling();
    }
  });
  window.addEventListener("pagehide", () => source.close(), { once: true });
}

// Back from the back-forward cache: the stream was closed on the way out.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && polling === null) listen();
});

const bell = document.getElementById("bell");
if (bell && bell.dataset.unread !== undefined) setBadge(Number(bell.dataset.unread));
listen();
