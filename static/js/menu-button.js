// Menus like "More actions": without JavaScript a <details> disclosure; with it, a real button
// (aria-expanded, aria-controls) that opens and closes the menu, which Escape or a click elsewhere
// closes again. The <details> stays as the menu's frame, always open; the button does the folding.
(function () {
  "use strict";

  function upgrade(details) {
    var summary = details.querySelector(":scope > summary");
    var items = details.querySelector(":scope > .menu-items");
    if (details.menuButton || !summary || !items || !items.id) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = summary.className;
    button.textContent = summary.textContent.trim();
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", items.id);
    details.menuButton = button;

    function setOpen(open) {
      items.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    summary.style.display = "none";  // [hidden] loses to the browser's own `details > summary` rule
    setOpen(false);
    details.open = true;
    details.insertBefore(button, items);
    button.addEventListener("click", function () { setOpen(items.hidden); });
    details.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !items.hidden) {
        setOpen(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!details.contains(event.target)) setOpen(false);
    });
  }

  function upgradeAll(root) {
    if (root.matches && root.matches("details.menu")) upgrade(root);
    root.querySelectorAll("details.menu").forEach(upgrade);
  }

  upgradeAll(document);
  // Menus that arrive in an htmx swap.
  document.addEventListener("htmx:load", function (event) { upgradeAll(event.detail.elt); });
})();
