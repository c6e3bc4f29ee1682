// The shopper's Messenger (S10): Enter sends and Shift+Enter starts a new line, as in Messenger; the
// conversation keeps to its newest message when new ones arrive, unless the shopper scrolled up to read.
(function () {
  "use strict";
  var NEAR_BOTTOM = 120; // px: closer than this to the end counts as "reading the newest"
  var follow = false; // set when the next new messages should be scrolled to

  function conversation() { return document.getElementById("messages"); }
  function toNewest(log) { log.scrollTop = log.scrollHeight; }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!field.matches || !field.matches("#composer textarea")) return;
    event.preventDefault();
    if (field.value.trim()) field.form.requestSubmit();
  });

  // The shopper's own action (a message, a menu choice, a quick reply): show its answer.
  document.addEventListener("submit", function (event) {
    if (event.target.closest(".messenger")) follow = true;
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var log = conversation();
    if (log && event.detail.target === log && !follow) {
      follow = log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var log = conversation();
    if (log && event.detail.target === log) {
      if (follow) toNewest(log);
      follow = false;
    }
  });

  // An action that went through (a message sent, a menu choice, a quick reply): the error an earlier
  // one left under the composer no longer applies.
  document.addEventListener("messages-changed", function () {
    var error = document.getElementById("message-error");
    var field = document.getElementById("message-text");
    if (!error) return;
    error.remove();
    if (field) {
      field.removeAttribute("aria-invalid");
      field.setAttribute("aria-describedby", "composer-hint");
    }
  });

  function start() {
    var log = conversation();
    if (log) toNewest(log);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
