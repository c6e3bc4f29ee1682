// The conversation page: after a saved reply is put into the reply box, keep typing at its end,
// and let the picker be used again for the same reply.
document.addEventListener("htmx:afterSettle", function (event) {
  var box = document.getElementById("reply-text");
  if (!box || event.detail.target !== box && !event.detail.elt.isSameNode(box)) return;
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
  var picker = document.getElementById("saved-reply-picker");
  if (picker) picker.value = "";
});
