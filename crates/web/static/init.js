// Start GOV.UK Frontend's components. Pages work without this: it only improves them.
import { initAll } from "./govuk-frontend.min.js";

initAll();

// A page of work under way (an upload being checked) marks how far it has got with
// data-app-refresh, beside a Refresh link. Every 2 seconds, fetch the page again: while the work
// is under way, show its progress; once it has finished, load the page, which shows the outcome.
const progress = document.querySelector("[data-app-refresh]");
if (progress) {
  const poll = async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const now = page.querySelector("[data-app-refresh]");
      if (!response.ok || !now) {
        window.location.reload();
        return;
      }
      progress.replaceChildren(...now.childNodes);
    } catch {
      // The network failed for a moment: try again at the next turn.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
