// Murmur's browser behaviour: uploads with progress, the model test box, the model banner. Job boxes and the parts
// of pages that change while work runs are server partials that htmx swaps in (hx-* attributes in the templates).
// No inline scripts (the CSP forbids them); every action goes through the JSON API with the CSRF token.
"use strict";

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(method, url, body) {
  const options = { method, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: "Unexpected response from the server." }; }
  return { ok: response.ok, status: response.status, data };
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;  // textContent: never interpret server text as HTML
  return node;
}

function plural(count, one, many) { return `${count} ${count === 1 ? one : many}`; }

// A job's box is the server's partial (templates/components/_job_progress.html), fetched and kept current by htmx:
// this placeholder asks for it at once, and the partial asks again every second until the job has ended.
function jobWidget(jobId, kind) {
  return el("div", { class: "job", "data-job-id": jobId, "data-status": "queued", "hx-get": `/jobs/${jobId}/progress/`,
                     "hx-trigger": "load, every 1s", "hx-swap": "outerHTML" }, `${kind}: queued.`);
}

// Start following a job box made by jobWidget; live parts of the page (htmx triggers) hear "murmur:job-started".
function pollJob(container) {
  if (window.htmx) htmx.process(container);
  document.dispatchEvent(new CustomEvent("murmur:job-started", { detail: { id: container.dataset.jobId } }));
}

// The partial of an ended job triggers "murmur:job-ended" (HX-Trigger-After-Settle); scripts wait on
// "murmur:job-finished" with the job (id, kind, status, message, result) as its detail.
document.addEventListener("murmur:job-ended", (e) => {
  document.dispatchEvent(new CustomEvent("murmur:job-finished", { detail: e.detail.job }));
});

// --- helpers of the pages' scripts (copy.js, replies.js, ...) ------------------------------------------------

// Call back once the job ends (its "murmur:job-finished", above).
function whenJobFinishes(jobId, callback) {
  document.addEventListener("murmur:job-finished", (e) => { if (String(e.detail.id) === String(jobId)) callback(e.detail); });
}

// An API error in `box`: its message, then each of its details.
function showError(box, data, fallback) {
  box.textContent = "";
  box.appendChild(el("p", { class: "error" }, (data && data.error) || fallback));
  ((data && data.details) || []).forEach((d) => box.appendChild(el("p", { class: "error" }, `${d.field}: ${d.error}`)));
}

// Copy text to the clipboard; where the browser refuses, select it in a box for a manual copy.
async function copyText(text, result) {
  try {
    await navigator.clipboard.writeText(text);
    result.textContent = "Copied to the clipboard.";
  } catch (e) {  // older browsers or no permission: select the text for a manual copy
    const area = el("textarea", { readonly: "readonly" });
    area.value = text;
    result.textContent = "";
    result.appendChild(area);
    area.select();
    result.appendChild(el("span", {}, " Press Ctrl+C (⌘C) to copy."));
  }
}

function setupUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("upload-file");
  const skipInvalid = document.getElementById("upload-skip-invalid");
  const result = document.getElementById("upload-result");
  const mappingOf = () => {
    const mapping = {};
    form.querySelectorAll("input[name^=map_]").forEach((i) => { if (i.value.trim()) mapping[i.name.slice(4)] = i.value.trim(); });
    return mapping;
  };
  const bodyOf = (file, mapping) => {
    const body = new FormData();
    body.append("file", file);
    if (Object.keys(mapping).length) body.append("mapping", JSON.stringify(mapping));
    return body;
  };
  const rowLine = (file, d) => `${file.name}: ` + (d.row ? `row ${d.row}: ` : "") + (d.error || JSON.stringify(d));
  const rowList = (file, rows, kind, total) => {
    const list = el("ul", { class: kind });
    rows.slice(0, 20).forEach((d) => list.appendChild(el("li", {}, rowLine(file, d))));
    const more = Math.max(total || rows.length, rows.length) - Math.min(rows.length, 20);
    if (more > 0) list.appendChild(el("li", {}, `… and ${more} more.`));
    return list;
  };
  // The skipped rows are not stored (they hold customers' words): their report is made from the same file.
  const downloadReport = async (file, mapping, button) => {
    button.disabled = true;
    const response = await fetch(form.dataset.reportApi, { method: "POST", headers: { "X-CSRFToken": csrfToken() },
                                                          credentials: "same-origin", body: bodyOf(file, mapping) });
    button.disabled = false;
    if (!response.ok) {
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      button.after(el("p", { class: "error" }, data.error || `${file.name}: the report could not be made.`));
      return;
    }
    const href = URL.createObjectURL(await response.blob());
    const link = el("a", { href, download: file.name.replace(/\.[^.]*$/, "") + "-skipped-rows.csv" });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
  };
  const send = async (file, skip) => {
    input.value = "";  // choosing the same file again (after fixing it, or the mapping) fires "change" again
    const mapping = mappingOf();
    result.textContent = "";  // the previous upload's error goes
    result.appendChild(el("p", {}, "Uploading " + file.name + "…"));
    const body = bodyOf(file, mapping);
    if (skip) body.append("skip_invalid_rows", "true");
    const { ok, data } = await api("POST", form.dataset.api, body);
    result.textContent = "";
    if (!ok) {
      result.appendChild(el("p", { class: "error" }, data.error || `${file.name}: the upload failed.`));
      if ((data.details || []).length) result.appendChild(rowList(file, data.details, "error", data.invalid_rows));
      if (data.valid_rows && data.invalid_rows) {
        const retry = el("button", { type: "button", id: "upload-skip-retry" },
                         `Import the ${plural(data.valid_rows, "valid row", "valid rows")}, skip ${data.invalid_rows}`);
        retry.addEventListener("click", () => send(file, true));
        result.appendChild(retry);
      }
      return;
    }
    result.appendChild(el("p", { id: "upload-accepted" }, `${file.name}: ${plural(data.rows, "row", "rows")} accepted` +
                          (data.skipped ? `, ${plural(data.skipped, "row", "rows")} with problems skipped.` : ".")));
    if (data.skipped) {
      const box = el("div", { class: "skipped-rows" });
      box.appendChild(rowList(file, data.skipped_rows || [], "hint", data.skipped));
      const download = el("button", { type: "button", id: "upload-skipped-report" },
                          `Download the skipped ${data.skipped === 1 ? "row" : "rows"} (CSV)`);
      download.addEventListener("click", () => downloadReport(file, mapping, download));
      box.appendChild(download);
      result.appendChild(box);
    }
    const widget = jobWidget(data.job_id, "import");
    result.appendChild(widget);
    pollJob(widget);
  };
  input.addEventListener("change", () => { if (input.files.length) send(input.files[0], skipInvalid && skipInvalid.checked); });
  ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (e) => { e.preventDefault(); form.classList.add("over"); }));
  ["dragleave", "drop"].forEach((name) => form.addEventListener(name, (e) => { e.preventDefault(); form.classList.remove("over"); }));
  form.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) send(e.dataTransfer.files[0], skipInvalid && skipInvalid.checked); });
}

function setupPlayground() {
  const form = document.getElementById("playground-form");
  if (!form) return;
  const out = document.getElementById("playground-answer");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "Asking the model…";
    const question = document.getElementById("playground-question").value;
    const { ok, data } = await api("POST", form.dataset.api, { question });
    out.textContent = ok ? `${data.answer}\n\n— ${data.model}, ${data.tokens_in}+${data.tokens_out} tokens, ${data.latency_ms} ms${data.cached ? " (cached)" : ""}`
                         : (data.error || "The model did not answer.");
  });
}

// The banner shown while the language model loads or is down: asked again every 15 s, gone once it answers.
function watchLlmBanner() {
  const banner = document.getElementById("llm-banner");
  if (!banner) return;
  const tick = async () => {
    const { ok, data } = await api("GET", banner.dataset.api);
    if (ok && data.ready) { banner.remove(); return; }
    if (ok && data.banner) banner.textContent = data.banner;
    setTimeout(tick, 15000);
  };
  setTimeout(tick, 15000);
}

document.addEventListener("DOMContentLoaded", () => {
  watchLlmBanner();
  setupUpload();
  setupPlayground();
});
