// A stand-in for Facebook's JavaScript SDK (https://connect.facebook.net/en_US/sdk.js), which can't
// be loaded here. The e2e tests serve it in place of the real one. It does what the checkout uses:
// FB.init with xfbml renders each .fb-messenger-checkbox (refusing one without page_id,
// messenger_app_id, user_ref or an origin other than the page's), reports ticks as
// "messenger_checkbox" events, and FB.AppEvents.logEvent hands the event to the test's fake Meta
// (window.__fakeMeta, a Playwright binding), which then calls the app's webhook as Meta would.
(function () {
  "use strict";
  var handlers = {};

  function emit(name, event) {
    (handlers[name] || []).forEach(function (handler) { handler(event); });
  }

  function render(element) {
    var missing = ["page_id", "messenger_app_id", "user_ref", "origin"].filter(function (name) {
      return !element.getAttribute(name);
    });
    if (missing.length) {
      element.textContent = "Messenger plugin error: missing " + missing.join(", ");
      return;
    }
    if (element.getAttribute("origin") !== window.location.origin) {
      element.textContent = "Messenger plugin error: origin " + element.getAttribute("origin") +
        " is not this page's";
      return;
    }
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";  // the real plugin has no way to start checked either
    label.appendChild(box);
    label.appendChild(document.createTextNode(" Send to Messenger"));
    box.addEventListener("change", function () {
      emit("messenger_checkbox", {
        event: "checkbox", state: box.checked ? "checked" : "unchecked",
        user_ref: element.getAttribute("user_ref")
      });
    });
    element.appendChild(label);
    emit("messenger_checkbox", { event: "rendered" });
  }

  window.FB = {
    init: function (options) {
      window.FB.options = options;
      if (options && options.xfbml) window.FB.XFBML.parse();
    },
    XFBML: {
      parse: function () {
        document.querySelectorAll(".fb-messenger-checkbox").forEach(render);
      }
    },
    Event: {
      subscribe: function (name, handler) {
        (handlers[name] = handlers[name] || []).push(handler);
      }
    },
    AppEvents: {
      logEvent: function (name, value, params) {
        window.__fakeMeta(name, params || {});
      }
    }
  };
  if (typeof window.fbAsyncInit === "function") window.fbAsyncInit();
})();
