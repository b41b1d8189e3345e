// The installable app on the page side: registers the service worker (service-worker/sw.js
// at /sw.js), offers a new version with "Update available — Reload", and loads the offline
// care notes for someone signed in. Words come from the page (components/_pwa.html).
const root = document.getElementById("pwa");
const bar = document.getElementById("pwa-update");
let reloadAsked = false;

if ("serviceWorker" in navigator) register();
if (root?.dataset.owner && root.dataset.notesModule) import(root.dataset.notesModule);

async function register() {
  let registration;
  try {
    // updateViaCache "none": the browser always asks the server for /sw.js.
    registration = await navigator.serviceWorker.register("/sw.js", {
      scope: "/",
      updateViaCache: "none",
    });
  } catch {
    return; // no service worker (a private window, an insecure origin): Tend still works
  }
  // A new version installed on an earlier visit and still waiting.
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      // With no controller this is the first install, not an update.
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadAsked) window.location.reload();
  });
  const ready = await navigator.serviceWorker.ready;
  ready.active?.postMessage({ type: "offline-language", lang: root?.dataset.lang });
}

function offer(worker) {
  if (!bar) return;
  bar.hidden = false;
  bar.querySelector("[data-pwa-reload]")?.addEventListener(
    "click",
    () => {
      reloadAsked = true;
      worker.postMessage({ type: "skip-waiting" });
      // Should the new worker never take over, reload anyway: the page is then new.
      setTimeout(() => window.location.reload(), 3000);
    },
    { once: true },
  );
}
