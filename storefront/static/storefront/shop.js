/* Demo shop glue: the consent banner's buttons call pz.consent (accept all, reject all,
 * or the ticked purposes); personalized pop-ups
 * (`.pz-popup[data-pz-delay]`) appear after their delay and stay closed once dismissed
 * for the rest of the browser session. */
(function (w, d) {
  "use strict";

  var banner = d.getElementById("pz-consent");
  // A cached page cannot know the visitor's choice: show the banner until one is made.
  if (banner && banner.hasAttribute("data-pz-cached") && !/(^|;\s*)pz_consent=/.test(d.cookie)) {
    banner.hidden = false;
  }
  if (banner) {
    d.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("[data-consent-choice]");
      if (button) {
        var choice = button.getAttribute("data-consent-choice");
        var chosen = { tracking: choice === "accept", personalization: choice === "accept" };
        if (choice === "save") {
          Array.prototype.forEach.call(banner.querySelectorAll("[data-consent-purpose]"), function (box) {
            chosen[box.getAttribute("data-consent-purpose")] = box.checked;
          });
        }
        if (w.pz) w.pz.consent(chosen);
        banner.hidden = true;
        return;
      }
      if (e.target.closest && e.target.closest("[data-consent-open]")) {
        e.preventDefault();
        banner.hidden = false;
      }
    });
  }

  function storageKey(popup) {
    return "pz_popup_closed:" + (popup.getAttribute("data-pz-component") ||
      popup.getAttribute("data-pz-placement") || "");
  }
  function remembered(popup) {
    try { return w.sessionStorage.getItem(storageKey(popup)) === "1"; } catch (e) { return false; }
  }
  function close(popup) {
    popup.hidden = true;
    try { w.sessionStorage.setItem(storageKey(popup), "1"); } catch (e) { /* storage blocked */ }
  }

  var popups = d.querySelectorAll(".pz-popup[data-pz-delay]");
  Array.prototype.forEach.call(popups, function (popup) {
    if (remembered(popup)) return;
    var delay = parseFloat(popup.getAttribute("data-pz-delay"));
    w.setTimeout(function () { popup.hidden = false; }, (isNaN(delay) ? 3 : delay) * 1000);
    var closeButton = popup.querySelector(".pz-popup-close");
    if (closeButton) closeButton.addEventListener("click", function () { close(popup); });
  });
  if (popups.length) {
    d.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      Array.prototype.forEach.call(popups, function (popup) {
        if (!popup.hidden && popup.querySelector(".pz-popup-close")) close(popup);
      });
    });
  }
})(window, document);
