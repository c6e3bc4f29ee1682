// Colours that come with the data (a Page's cover and picture, an account's avatar) are painted from
// here: the Content-Security-Policy refuses style attributes in the markup, not styles set by a script.
(function () {
  "use strict";

  function paint(root) {
    var elements = Array.prototype.slice.call(root.querySelectorAll("[data-background], [data-cover]"));
    if (root.matches && root.matches("[data-background], [data-cover]")) elements.push(root);
    elements.forEach(function (element) {
      if (element.dataset.background) element.style.backgroundColor = element.dataset.background;
      if (element.dataset.cover) element.style.setProperty("--cover", element.dataset.cover);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { paint(document); });
  // Parts of the page swapped in by htmx.
  document.addEventListener("htmx:load", function (event) { paint(event.detail.elt); });
})();
