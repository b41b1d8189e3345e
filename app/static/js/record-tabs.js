// A patient's record tabs scroll sideways on a phone. The current tab is brought into
// view, and a fade at an edge says more tabs lie that way (in right-to-left pages too,
// where scrollLeft counts down from 0). Without JavaScript the strip still scrolls.
function mark(strip) {
  const room = strip.scrollWidth - strip.clientWidth;
  const along = Math.abs(strip.scrollLeft);
  strip.classList.toggle("record-tabs--more-start", room > 1 && along > 1);
  strip.classList.toggle("record-tabs--more-end", room > 1 && along < room - 1);
}

function follow(root) {
  root.querySelectorAll(".record-tabs").forEach((strip) => {
    const current = strip.querySelector('[aria-current="page"]');
    if (current) {
      const box = strip.getBoundingClientRect();
      const tab = current.getBoundingClientRect();
      // Centre the current tab in the strip, moving only the strip (never the page).
      strip.scrollLeft += tab.left + tab.width / 2 - (box.left + box.width / 2);
    }
    mark(strip);
    strip.addEventListener("scroll", () => mark(strip), { passive: true });
  });
}

follow(document);
window.addEventListener("resize", () => document.querySelectorAll(".record-tabs").forEach(mark));
document.body.addEventListener("htmx:afterSettle", (event) => follow(event.detail.target));
