// Live regions (issue 12). A page listens to its stream (htmx's SSE extension, `sse-connect`); an
// event makes the elements that listen for it (`hx-trigger="sse:..."`) ask for what is new. Where
// the stream can't connect (it errors, or is not open a second after the page: a proxy holds it
// back, or a busy server), those elements get "live-poll" at once and every 2 seconds, until the
// stream opens. Each time it opens they get one "live-poll", for what may have arrived while it
// was not open. An open, idle stream costs no request at all. `data-live` on the element says which it is: "open" or "polling".
(function () {
  "use strict";
  var POLL_MS = 2000;
  var OPEN_WAIT_MS = 1000; // a stream not open by then counts as failed (for now: it may still open)
  var watched = new WeakMap(); // sse-connect element -> {open, timer}

  function poll(source) {
    source.querySelectorAll("[hx-trigger*='live-poll']").forEach(function (element) {
      htmx.trigger(element, "live-poll");
    });
  }

  function stopPolling(state) {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  function startPolling(source, state) {
    if (state.timer || state.open) return;
    source.setAttribute("data-live", "polling");
    poll(source); // at once: what arrived since the page was made, or since the stream broke
    state.timer = setInterval(function () {
      if (!document.body.contains(source)) stopPolling(state);
      else poll(source);
    }, POLL_MS);
  }

  function watch(source) {
    var state = watched.get(source);
    if (state) return state;
    state = {open: false, timer: null};
    watched.set(source, state);
    setTimeout(function () { startPolling(source, state); }, OPEN_WAIT_MS);
    return state;
  }

  document.addEventListener("htmx:sseOpen", function (event) {
    var state = watch(event.target);
    state.open = true;
    stopPolling(state);
    poll(event.target);
    event.target.setAttribute("data-live", "open");
  });

  document.addEventListener("htmx:sseError", function (event) {
    var state = watch(event.target);
    state.open = false;
    startPolling(event.target, state);
  });

  function watchWithin(content) {
    if (content.matches && content.matches("[sse-connect]")) watch(content);
    if (content.querySelectorAll) content.querySelectorAll("[sse-connect]").forEach(watch);
  }

  function start() {
    watchWithin(document.body);
    htmx.onLoad(watchWithin);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
