// Insights page: start an analysis (its progress is the server's card, through htmx), edit themes, save settings,
// print.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Run analysis: the first card (templates/insights/_live.html, swapped in by htmx) hears "murmur:analysis-started",
  // asks the server again and shows the run's progress; it reloads the page once the new report exists.
  // Delegated: htmx replaces the button with the card.
  document.addEventListener("click", async (e) => {
    const runButton = e.target.closest("#run-analysis");
    if (!runButton) return;
    runButton.disabled = true;
    const { status, data } = await api("POST", runButton.dataset.api);
    if (status !== 202 && status !== 409) {  // 409: one is already at work; the card shows it
      const box = document.getElementById("analysis-progress");
      box.textContent = "";
      box.appendChild(el("p", { class: "error" }, data.error || "Could not start the analysis."));
      runButton.disabled = false;
      return;
    }
    document.dispatchEvent(new CustomEvent("murmur:analysis-started", { detail: data }));
  });

  document.querySelectorAll(".theme-edit").forEach((cell) => {
    const row = cell.closest("tr");
    const id = row.dataset.themeId;
    const done = async (promise) => {
      const { ok, data } = await promise;
      if (ok) window.location.reload();
      else alert(data.error || "That did not work.");
    };
    cell.querySelector("[data-action=rename]").addEventListener("click", () => {
      const label = prompt("New name for this theme", row.querySelector(".theme-label").textContent);
      if (label) done(api("PATCH", `/api/v1/themes/${id}`, { label }));
    });
    cell.querySelector("[data-action=split]").addEventListener("click", () => {
      if (confirm("Split this theme in two?")) done(api("POST", `/api/v1/themes/${id}/split`));
    });
    cell.querySelector("[data-action=delete]").addEventListener("click", () => {
      if (confirm("Delete this theme? Its texts stay, unthemed, and future runs keep it deleted.")) done(api("DELETE", `/api/v1/themes/${id}`));
    });
    cell.querySelector("[data-action=merge]").addEventListener("change", (e) => {
      if (e.target.value) done(api("POST", `/api/v1/themes/${id}/merge`, { into: Number(e.target.value) }));
    });
  });

  const settings = document.getElementById("analysis-settings");
  if (settings) {
    settings.addEventListener("submit", async (e) => {
      e.preventDefault();
      const form = new FormData(settings);
      const body = {
        product_context: form.get("product_context"),
        competitors: String(form.get("competitors") || "").split(",").map((s) => s.trim()).filter(Boolean),
        frequency: form.get("frequency"),
      };
      const { ok, data } = await api("PUT", settings.dataset.api, body);
      document.getElementById("settings-result").textContent = ok ? "Saved." : (data.error || "Not saved.");
    });
  }

  if (new URLSearchParams(window.location.search).get("print") === "1") window.print();
});
