// The Privacy page: start an export through the API and follow its job (app.js's jobWidget/pollJob), then
// offer the download. Server-rendered exports still running are polled by app.js itself.
"use strict";

function addDownloadLink(job) {
  if (job.kind !== "export" || job.status !== "succeeded" || !job.result || !job.result.download_url) return;
  const box = document.querySelector(`.job[data-job-id="${job.id}"]`);
  if (box && !box.querySelector("a.download")) {
    box.appendChild(el("a", { class: "download", href: job.result.download_url }, "Download the zip"));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("export-form");
  if (!form) return;
  const out = document.getElementById("export-result");
  document.addEventListener("murmur:job-finished", (e) => addDownloadLink(e.detail));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const includeOriginals = form.querySelector("input[name=include_originals]").checked;
    const { ok, data } = await api("POST", form.dataset.api, { include_originals: includeOriginals });
    out.textContent = "";
    if (!ok) {
      out.appendChild(el("p", { class: "error" }, data.error || "The export could not be started."));
      return;
    }
    const widget = jobWidget(data.job_id, "export");
    out.appendChild(widget);
    pollJob(widget);
  });
});
