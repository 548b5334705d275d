// Starts Wagtail's InlinePanel for the panel this script tag closes (Wagtail's own
// template does it with an inline script, which the admin's CSP refuses).
(function () {
  const script = document.currentScript;
  new window.InlinePanel(JSON.parse(script.dataset.inlinePanelOptions));
})();
