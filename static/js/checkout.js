// The store's checkout: Enter in the discount code field applies the code (clicks its "Apply"
// button, named by data-enter-clicks) instead of placing the order, as Enter does elsewhere in the form.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  var field = event.target;
  var buttonId = field && field.getAttribute ? field.getAttribute("data-enter-clicks") : null;
  var button = buttonId ? document.getElementById(buttonId) : null;
  if (!button) return;
  event.preventDefault();
  button.click();
});
