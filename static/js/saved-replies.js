// The conversation page: after a saved reply is put into the reply box (the server announces it
// with the "saved-reply-inserted" event), keep typing at its end, and reset the picker so the same
// reply can be picked again.
document.body.addEventListener("saved-reply-inserted", function () {
  var box = document.getElementById("reply-text");
  if (box) {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
  var picker = document.getElementById("saved-reply-picker");
  if (picker) picker.value = "";
});

// The thread shows its latest messages: at the bottom on load and whenever new ones arrive.
function scrollThreadToEnd() {
  var thread = document.getElementById("thread-messages");
  if (thread) thread.scrollTop = thread.scrollHeight;
}
scrollThreadToEnd();
document.body.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.target && event.detail.target.id === "thread-messages") scrollThreadToEnd();
});
