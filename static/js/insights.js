// Insights page: start an analysis (with a progress bar), edit themes, save settings, print.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const runButton = document.getElementById("run-analysis");
  if (runButton) {
    runButton.addEventListener("click", async () => {
      runButton.disabled = true;
      const { status, data } = await api("POST", runButton.dataset.api);
      const box = document.getElementById("analysis-progress");
      box.textContent = "";
      if (status !== 202 && status !== 409) {
        box.appendChild(el("p", { class: "error" }, data.error || "Could not start the analysis."));
        runButton.disabled = false;
        return;
      }
      if (status === 409) box.appendChild(el("p", { class: "hint" }, data.error));
      const widget = jobWidget(data.job_id, "analysis");
      box.appendChild(widget);
      pollJob(widget);
      document.addEventListener("murmur:job-finished", (e) => {
        if (e.detail.status === "succeeded") window.location = "/insights/";
        else runButton.disabled = false;
      });
    });
  }

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
