// Meta's Messenger checkbox plugin (graph transport), in two places:
// - on the checkout (#messenger-checkbox): loads Facebook's SDK and follows the checkbox's state,
//   which the form posts with the render's user_ref;
// - on the order status page right after the order (#messenger-checkbox-confirmation): confirms the
//   opt-in with the MessengerCheckboxUserConfirmation event, for the same user_ref. Logged there and
//   not in the checkout's submit handler, so the page leaving can't cut it off.
// Settings come from data attributes (no user data inside a <script>).
(function () {
  "use strict";
  var box = document.getElementById("messenger-checkbox");
  var confirmation = document.getElementById("messenger-checkbox-confirmation");
  var element = box || confirmation;
  if (!element) return;
  var settings = element.dataset;
  var stateInput = box && box.querySelector("[data-messenger-checkbox-state]");

  window.fbAsyncInit = function () {
    FB.init({ appId: settings.appId, xfbml: !!box, version: settings.sdkVersion });
    if (box) {
      FB.Event.subscribe("messenger_checkbox", function (event) {
        if (event.event === "checkbox" && stateInput) stateInput.value = event.state;
      });
    }
    if (confirmation) {
      FB.AppEvents.logEvent("MessengerCheckboxUserConfirmation", null, {
        app_id: settings.appId,
        page_id: settings.pageId,
        ref: "checkout",
        user_ref: settings.userRef
      });
    }
  };

  var sdk = document.createElement("script");
  sdk.src = "https://connect.facebook.net/en_US/sdk.js";
  sdk.async = true;
  sdk.defer = true;
  sdk.crossOrigin = "anonymous";
  document.head.appendChild(sdk);
})();
