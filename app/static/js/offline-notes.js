// Care notes written without a connection (DESIGN.md §7).
//
// A note form (form[data-offline-note]) that cannot reach Tend — the phone is offline, or
// the request fails on the network — is kept in IndexedDB with its idempotency key, shown
// as "waiting to send", counted in the bar (components/_pwa.html), and the form cleared.
// This page sends the waiting notes when the phone is back online: on the `online` event,
// when the service worker's Background Sync wakes it, and at every start of the app.
//
// The page sends them, not the service worker: each POST needs the page's CSRF token
// (htmx reads it from <body hx-headers>), and the session cookie of the person who wrote
// them; a note is only sent from a page of that same person (data-owner), so nothing is
// ever posted under someone else's name. The server stores a note once per key however
// often it arrives, so a send cut off half-way is simply sent again.
//
// Photos are not kept: a form offline says so. Signing out deletes what is not yet sent,
// after a warning.
const root = document.getElementById("pwa");
const owner = root.dataset.owner;
const panel = document.getElementById("notes-waiting");
const rowTemplate = document.getElementById("note-waiting-row");
const warning = document.getElementById("sign-out-warning");
const DB_NAME = "tend-offline-notes";
const STORE = "notes";
const SYNC_TAG = "send-notes";
const SIGN_OUT = /\/(logout|account\/sign-out-everywhere)$/;

// -- IndexedDB ------------------------------------------------------------------------

let database;

function db() {
  database ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return database;
}

async function run(mode, action) {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return new Promise((resolve, reject) => {
    const request = action(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

const keep = (note) => run("readwrite", (store) => store.put(note));
const forget = (key) => run("readwrite", (store) => store.delete(key));
const forgetAll = () => run("readwrite", (store) => store.clear());

async function mine() {
  const notes = await run("readonly", (store) => store.getAll());
  return notes
    .filter((note) => note.owner === owner)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

// -- Keeping a note -----------------------------------------------------------------

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toast(message, level = "info") {
  document.body.dispatchEvent(new CustomEvent("toast", { detail: { message, level } }));
}

async function keepForm(form) {
  const data = new FormData(form);
  const text = String(data.get("text") || "");
  if (!text.trim()) {
    toast(panel.dataset.emptyMessage, "error");
    form.querySelector("textarea")?.focus();
    return;
  }
  const category = form.querySelector("select[name=category]");
  const note = {
    key: String(data.get("idempotency_key") || "") || newKey(),
    owner,
    patientId: form.dataset.offlineNote,
    url: new URL(form.action, window.location.href).pathname,
    category: String(data.get("category") || ""),
    categoryLabel: category?.selectedOptions[0]?.textContent.trim() || "",
    text,
    handover: data.get("handover") === "1",
    createdAt: new Date().toISOString(),
    refused: false,
  };
  await keep(note);
  const place = form.dataset.offlinePlace;
  putAway(form, place);
  const list = document.querySelector(`[data-offline-list="${note.patientId}"]`);
  list?.prepend(row(note));
  if (list) document.getElementById(list.dataset.offlineEmpty || "")?.replaceChildren();
  toast(panel.dataset.keptMessage, "warning");
  await show();
  askForSync();
}

function putAway(form, place) {
  // As after a save: the in-place form goes away; the form page is ready for the next.
  const composer = document.getElementById(`note-composer-${place}`);
  if (place !== "page" && composer?.contains(form)) {
    composer.replaceChildren();
    return;
  }
  form.reset();
  form.querySelector("input[name=idempotency_key]").value = newKey();
  form.querySelector("textarea")?.focus();
}

async function askForSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // No Background Sync here: the `online` event and the next start send them.
  }
}

// -- Showing what waits ---------------------------------------------------------------

function row(note) {
  const item = rowTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.waitingKey = note.key;
  item.querySelector("[data-field=category]").textContent = note.categoryLabel;
  item.querySelector("[data-field=text]").textContent = note.text;
  item.querySelector("[data-field=handover]").hidden = !note.handover;
  const time = item.querySelector("[data-field=time]");
  time.dateTime = note.createdAt;
  time.textContent = new Date(note.createdAt).toLocaleString(document.documentElement.lang);
  item.querySelector("[data-status=waiting]").hidden = note.refused;
  item.querySelectorAll("[data-status=refused]").forEach((part) => {
    part.hidden = !note.refused;
  });
  item.querySelector("[data-remove-note]").dataset.removeNote = note.key;
  return item;
}

async function show() {
  const notes = await mine();
  panel.hidden = notes.length === 0;
  document.querySelectorAll("[data-waiting-count]").forEach((count) => {
    count.textContent = notes.length.toLocaleString(document.documentElement.lang);
  });
  panel.querySelector("[data-waiting-offline]").hidden = navigator.onLine;
  panel.querySelector("[data-waiting-list]").replaceChildren(...notes.map(row));
  // In the patient's own list too, at the top, until sent (or sent from another tab).
  const waiting = new Map(notes.map((note) => [note.key, note]));
  document.querySelectorAll("[data-offline-list]").forEach((list) => {
    list.querySelectorAll("[data-waiting-key]").forEach((item) => {
      const note = waiting.get(item.dataset.waitingKey);
      if (note) item.replaceWith(row(note));
      else item.remove();
    });
    const shown = new Set(
      [...list.querySelectorAll("[data-waiting-key]")].map((item) => item.dataset.waitingKey),
    );
    for (const note of notes) {
      if (note.patientId === list.dataset.offlineList && !shown.has(note.key)) {
        list.prepend(row(note));
      }
    }
  });
  return notes;
}

function showOffline() {
  const offline = !navigator.onLine;
  document.querySelectorAll("[data-offline-hint]").forEach((hint) => {
    hint.hidden = !offline;
  });
  panel.querySelector("[data-waiting-offline]").hidden = !offline;
}

// -- Sending -----------------------------------------------------------------------

let sending = false;

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
  } catch {
    return "";
  }
}

async function sendWaiting() {
  if (sending || !navigator.onLine) return;
  sending = true;
  let sent = 0;
  try {
    for (const note of await mine()) {
      if (note.refused) continue;
      const outcome = await send(note);
      if (outcome === "later") break;
      if (outcome === "sent") sent += 1;
    }
  } finally {
    sending = false;
  }
  await show();
  if (sent) toast(panel.dataset.sentMessage, "success");
}

async function send(note) {
  const body = new FormData();
  body.set("category", note.category);
  body.set("text", note.text);
  if (note.handover) body.set("handover", "1");
  body.set("place", "list"); // answered with the saved note alone, for the list
  body.set("idempotency_key", note.key);
  let response;
  try {
    response = await fetch(note.url, {
      method: "POST",
      body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "x-csrftoken": csrfToken(), "HX-Request": "true" },
    });
  } catch {
    return "later"; // still no connection
  }
  const saved =
    response.status === 200 &&
    !response.headers.has("HX-Redirect") &&
    !response.headers.has("HX-Retarget");
  if (saved) {
    await forget(note.key);
    replaceRow(note, await response.text());
    return "sent";
  }
  // Refused for good only by a 4xx from Tend (the record closed, access removed, the text
  // not accepted): kept, shown as refused, so its words can still be copied before it is
  // removed. Anything else keeps it waiting for the next try: signed out meanwhile (401,
  // a redirect to sign in), too many or too slow (429, 408), and every 5xx, such as a 503
  // "not saved" when the database could not commit it.
  const refused =
    response.status >= 400 &&
    response.status < 500 &&
    ![401, 408, 429].includes(response.status) &&
    !response.headers.has("HX-Redirect");
  if (!refused) return "later";
  await keep({ ...note, refused: true });
  return "refused";
}

function replaceRow(note, html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const fresh = template.content.querySelector("li");
  document.querySelectorAll(`[data-offline-list] [data-waiting-key="${note.key}"]`).forEach((item) => {
    if (fresh) {
      const copy = fresh.cloneNode(true);
      item.replaceWith(copy);
      window.htmx?.process(copy);
    } else {
      item.remove();
    }
  });
}

// -- Events ----------------------------------------------------------------------

// Offline, a note form is kept here instead of being sent (before htmx sees it).
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target.closest?.("form[data-offline-note]");
    if (!form || navigator.onLine) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    keepForm(form);
  },
  true,
);

// Online as far as the phone knows, but the request never reached Tend.
document.addEventListener(
  "htmx:sendError",
  (event) => {
    const form = event.detail.elt?.closest?.("form[data-offline-note]");
    if (!form) return;
    event.stopPropagation(); // this says what happened, not the generic network toast
    keepForm(form);
  },
  true,
);

// Offline, "Write a note" opens the form kept in the page rather than asking Tend for one.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest?.("[data-offline-compose]");
    if (!link || navigator.onLine) return;
    const template = document.getElementById(link.dataset.offlineCompose);
    const composer = document.getElementById(link.dataset.offlineComposer);
    if (!template || !composer) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    composer.replaceChildren(template.content.cloneNode(true));
    composer.querySelector("input[name=idempotency_key]").value = newKey();
    showOffline();
    window.htmx?.process(composer);
    composer.querySelector("textarea")?.focus();
  },
  true,
);

document.addEventListener("click", async (event) => {
  const button = event.target.closest?.("button[data-remove-note]");
  if (!button) return;
  await forget(button.dataset.removeNote);
  document.querySelectorAll(`[data-waiting-key="${button.dataset.removeNote}"]`).forEach((item) => {
    item.remove();
  });
  await show();
});

// Signing out deletes what has not been sent: say so first.
document.addEventListener(
  "submit",
  async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !SIGN_OUT.test(new URL(form.action).pathname)) return;
    event.preventDefault();
    let notes = [];
    try {
      notes = await mine();
    } catch {
      // No IndexedDB here: nothing can be waiting.
    }
    if (notes.length && !(await confirmed())) return;
    try {
      await forgetAll();
    } finally {
      form.submit();
    }
  },
  true,
);

function confirmed() {
  return new Promise((resolve) => {
    warning.addEventListener("close", () => resolve(warning.returnValue === "delete"), {
      once: true,
    });
    warning.returnValue = "";
    warning.showModal();
  });
}

window.addEventListener("online", () => {
  showOffline();
  sendWaiting();
});
window.addEventListener("offline", showOffline);
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type === "send-notes") sendWaiting();
});
document.addEventListener("htmx:afterSettle", () => {
  showOffline();
  show();
});

showOffline();
show().then(sendWaiting);
