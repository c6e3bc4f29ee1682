// The Messenger checkbox plugin on the checkout (graph transport): loads Facebook's SDK, follows the
// checkbox's state, and confirms the opt-in when the order is placed. Reads its settings from the
// data attributes of #messenger-checkbox (no user data inside a <script>).
(function () {
  "use strict";
  var box = document.getElementById("messenger-checkbox");
  if (!box) return;
  var settings = box.dataset;
  var stateInput = box.querySelector("[data-messenger-checkbox-state]");
  var form = box.closest("form");

  window.fbAsyncInit = function () {
    FB.init({ appId: settings.appId, xfbml: true, version: settings.sdkVersion });
    FB.Event.subscribe("messenger_checkbox", function (event) {
      if (event.event === "checkbox" && stateInput) stateInput.value = event.state;
    });
  };

  if (form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      // Only "Place order" confirms; "Not you?" and the like submit elsewhere.
      if (submitter && submitter.getAttribute("formaction")) return;
      if (!window.FB || !stateInput || stateInput.value !== "checked") return;
      FB.AppEvents.logEvent("MessengerCheckboxUserConfirmation", null, {
        app_id: settings.appId,
        page_id: settings.pageId,
        ref: "checkout",
        user_ref: settings.userRef
      });
    });
  }

  var sdk = document.createElement("script");
  sdk.src = "https://connect.facebook.net/en_US/sdk.js";
  sdk.async = true;
  sdk.defer = true;
  sdk.crossOrigin = "anonymous";
  document.head.appendChild(sdk);
})();
