// Filters a checkbox list by the text typed above it; checked boxes stay visible.
(function () {
  function bind(root) {
    if (root.dataset.pzBound) return;
    root.dataset.pzBound = "1";
    const filter = root.querySelector("[data-pz-filter]");
    filter.addEventListener("input", function () {
      const text = filter.value.trim().toLowerCase();
      root.querySelectorAll("label").forEach(function (label) {
        const box = label.querySelector("input");
        const match = !text || label.textContent.toLowerCase().includes(text) || (box && box.checked);
        const item = label.parentElement;
        item.style.display = match ? "" : "none";
      });
    });
  }
  function bindAll() {
    document.querySelectorAll("[data-pz-searchable-checkboxes]").forEach(bind);
  }
  document.addEventListener("DOMContentLoaded", bindAll);
  document.addEventListener("w-formset:added", bindAll);
  new MutationObserver(bindAll).observe(document.documentElement, { childList: true, subtree: true });
})();
