// Starts the widgets (snippet, page, image choosers; date pickers) of a form InlinePanel has
// just added. Their inline `new SnippetChooser("id_variants-6-component", {...})` is refused
// by the admin's CSP: it is allowed by hash as the page was served, but the added copy has
// its `__prefix__` replaced by the form's index, so its hash is new. We run the same call
// from here, only when it is exactly such an initializer (the same shape observability/csp.py
// allows).
(function () {
  const INITIALIZER =
    /^\s*(new (PageChooser|SnippetChooser|DocumentChooser|ImageChooser|TaskChooser)|(initDateChooser|initDateTimeChooser|initTimeChooser))\("([A-Za-z0-9_-]{1,200})"(?:, (\{[\s\S]*\}|null))?\);?\s*$/;

  function start(script) {
    const match = INITIALIZER.exec(script.textContent);
    if (!match || !document.getElementById(match[4])) return;
    let options = null;
    try {
      options = JSON.parse(match[5] || "null");
    } catch (error) {
      return;
    }
    if (match[2] && typeof window[match[2]] === "function") {
      new window[match[2]](match[4], options);
    } else if (match[3] && typeof window[match[3]] === "function") {
      window[match[3]](match[4], options);
    }
  }

  document.addEventListener("w-formset:added", function (event) {
    event.target.querySelectorAll("script:not([src])").forEach(start);
  });
})();
