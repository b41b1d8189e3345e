// "Copy" buttons: [data-copy="#selector"] copies that field's value to the clipboard.
// The button is hidden in the markup and shown only where the Clipboard API exists, so
// without it (or without JavaScript) the read-only field is there to select by hand.
function reveal(root) {
  if (!navigator.clipboard) return;
  root.querySelectorAll("[data-copy][hidden]").forEach((button) => {
    button.hidden = false;
  });
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
    document.body.dispatchEvent(
      new CustomEvent("toast", {
        detail: { message: button.dataset.copiedMessage, level: "success" },
      }),
    );
  } catch {
    field.select(); // the browser refused: leave the text selected for a manual copy
  }
});

reveal(document);
document.body.addEventListener("htmx:afterSwap", (event) => reveal(event.detail.target));
