// The conversation page: after a saved reply is put into the reply box (the server announces it
// with the "saved-reply-inserted" event), keep typing at its end, and reset the picker so the same
// reply can be picked again.
function continueTypingAtEnd() {
  var box = document.getElementById("reply-text");
  if (box) {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
}
// Right after the new reply box is swapped in, in the same task, so no keystroke lands before it.
document.body.addEventListener("htmx:afterSwap", function (event) {
  var box = document.getElementById("reply-text");
  if (box && (event.detail.target === box || event.detail.elt === box || !event.detail.target.isConnected)) {
    continueTypingAtEnd();
  }
});
document.body.addEventListener("saved-reply-inserted", function () {
  continueTypingAtEnd();
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
