// The toast region: shows messages from HX-Trigger "toast" events and network failures,
// and lets the user dismiss them. Messages arrive already translated from the server.
const region = document.getElementById("toasts");
const LIFETIME_MS = 6000;

function show(message, level = "info") {
  if (!region) return;
  const toast = document.createElement("div");
  toast.className = `toast toast--${level}`;
  if (level === "error") toast.setAttribute("role", "alert");
  const icon = document.createElement("span");
  icon.className = "toast__icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = { error: "!", warning: "▲", success: "✓" }[level] || "i";
  const body = document.createElement("div");
  body.className = "toast__body";
  const title = document.createElement("strong");
  title.className = "toast__title";
  title.textContent = message;
  body.append(title);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast__close";
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", region.dataset.dismissLabel || "×");
  close.textContent = "×";
  toast.append(icon, body, close);
  region.append(toast);
  expire(toast);
}

function expire(toast) {
  // Errors stay until dismissed: a carer may be looking at the patient, not the phone.
  if (toast.classList.contains("toast--error")) return;
  setTimeout(() => toast.remove(), LIFETIME_MS);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) button.closest(".toast")?.remove();
});

document.body.addEventListener("toast", (event) => {
  show(event.detail.message, event.detail.level);
});

document.body.addEventListener("htmx:sendError", () => {
  show(region?.dataset.offlineMessage, "error");
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target === region) {
    region.querySelectorAll(".toast").forEach((toast) => {
      if (!toast.dataset.timed) {
        toast.dataset.timed = "1";
        expire(toast);
      }
    });
  }
});
