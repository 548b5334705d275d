// Follows a running admin job: reloads its status panel every two seconds until it ends.
(() => {
  const POLL_MS = 2000;
  const poll = () => {
    const panel = document.querySelector("[data-pz-job-status]");
    if (!panel || panel.dataset.done === "true") return;
    window.setTimeout(async () => {
      try {
        const response = await fetch(panel.dataset.panelUrl, { credentials: "same-origin" });
        if (response.ok) panel.outerHTML = await response.text();
      } finally {
        poll();
      }
    }, POLL_MS);
  };
  poll();
})();
