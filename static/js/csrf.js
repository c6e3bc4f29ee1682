// A page served from the cache carries no CSRF token (it is each visitor's own: pageshop.page_cache).
// A form or an htmx request that changes something fetches the visitor's token first, once.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  var pending = null;

  function token() {
    if (meta.content) return Promise.resolve(meta.content);
    pending = pending || fetch(meta.dataset.url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) throw new Error("CSRF token: " + response.status);
      return response.text();
    }).then(function (value) {
      meta.content = value;
      return value;
    });
    return pending;
  }

  // A form sent without htmx ("Buy Now"): fill its token in, then send it as the shopper did.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = form.querySelector('input[name="csrf_token"]');
    if (event.defaultPrevented || !field || field.value) return;
    event.preventDefault();
    var submitter = event.submitter;
    token().then(function (value) {
      field.value = value;
      form.requestSubmit(submitter);
    }, function () { form.submit(); });
  });

  // An htmx request that changes something ("Add to cart") waits for the token.
  document.addEventListener("htmx:confirm", function (event) {
    if (meta.content || event.detail.verb === "get") return;
    event.preventDefault();
    token().then(function () { event.detail.issueRequest(); });
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (meta.content) event.detail.headers["X-CSRFToken"] = meta.content;
  });
})();
