/* Demo shop glue: the consent banner's buttons call pz.consent. */
(function () {
  "use strict";
  var banner = document.getElementById("pz-consent");
  if (!banner) return;
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-consent-choice]");
    if (button) {
      var accept = button.getAttribute("data-consent-choice") === "accept";
      if (window.pz) window.pz.consent({ tracking: accept, personalization: accept });
      banner.hidden = true;
      return;
    }
    if (e.target.closest && e.target.closest("[data-consent-open]")) {
      e.preventDefault();
      banner.hidden = false;
    }
  });
})();
