// htmx settings, from a static module so the Content-Security-Policy needs no inline script.
// It runs before htmx initialises (both are deferred; htmx starts on DOMContentLoaded).
const config = window.htmx.config;

Object.assign(config, {
  selfRequestsOnly: true, // never send a request, or its CSRF header, to another origin
  allowScriptTags: false, // swapped content cannot run script
  allowEval: false, // no hx-on / js: expressions: the CSP forbids eval anyway
  includeIndicatorStyles: false, // htmx would inject an inline <style>; layout.css has them
  // Pages may show patient information: never keep snapshots in localStorage.
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  // 422 re-renders a form with its errors; other errors are swapped into the toast region
  // (the server retargets them there), so nothing fails silently.
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: true, error: true },
  ],
});
