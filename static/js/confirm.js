// Forms with data-confirm="<dialog id>" ask first (templates/_confirm.html): submitting opens the
// dialog; its confirming button submits the form for real (to htmx too), Cancel or Escape keeps it.
// Without JavaScript, or a browser without <dialog>, the form submits as it is.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var dialog = form.dataset.confirm && document.getElementById(form.dataset.confirm);
  if (!dialog || typeof dialog.showModal !== "function") return;
  if (form.dataset.confirmed === "yes") {
    delete form.dataset.confirmed;
    return;
  }
  // Capturing on the document: neither the browser nor htmx (listening on the form) sees it.
  event.preventDefault();
  event.stopImmediatePropagation();
  var submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
  dialog.returnValue = "";
  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "confirm") return;
    form.dataset.confirmed = "yes";
    if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
  }, { once: true });
  dialog.showModal();
}, true);
