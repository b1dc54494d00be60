// Murmur's browser behaviour: uploads with progress, job polling, the model test box.
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

function renderJob(container, job) {
  container.dataset.status = job.status;
  const bar = container.querySelector(".bar");
  if (bar) bar.style.width = job.percent + "%";
  const progress = container.querySelector(".progress");
  if (progress) progress.setAttribute("aria-valuenow", job.percent);
  const status = container.querySelector(".status");
  if (status) { status.textContent = job.status; status.className = "status status-" + job.status; }
  const message = container.querySelector(".job-message");
  if (message) {
    message.textContent = "";
    if (job.error) message.appendChild(el("span", { class: "error" }, job.error));
    else message.textContent = job.message + (job.total ? ` (${job.done}/${job.total})` : "");
    if (job.waiting_on) message.appendChild(el("span", { class: "waiting" }, " " + job.waiting_on));
  }
}

function pollJob(container) {
  const id = container.dataset.jobId;
  const tick = async () => {
    const { ok, data } = await api("GET", `/api/v1/jobs/${id}`);
    if (!ok) { setTimeout(tick, 3000); return; }  // a hiccup (server restarting): keep watching
    renderJob(container, data);
    if (data.status === "queued" || data.status === "running") setTimeout(tick, 1000);
    else document.dispatchEvent(new CustomEvent("murmur:job-finished", { detail: data }));
  };
  tick();
}

function jobWidget(jobId, kind) {
  const box = el("div", { class: "job", "data-job-id": jobId, "data-status": "queued" });
  const head = el("div", { class: "job-head" });
  head.appendChild(el("a", { href: `/jobs/${jobId}/` }, kind));
  head.appendChild(el("span", { class: "status status-queued" }, "queued"));
  const progress = el("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" });
  progress.appendChild(el("div", { class: "bar", style: "width: 0%" }));
  box.append(head, progress, el("div", { class: "job-message" }, "Queued."));
  return box;
}

function setupUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("upload-file");
  const result = document.getElementById("upload-result");
  const send = async (file) => {
    result.textContent = "Uploading " + file.name + "…";
    const body = new FormData();
    body.append("file", file);
    const mapping = {};
    form.querySelectorAll("input[name^=map_]").forEach((i) => { if (i.value.trim()) mapping[i.name.slice(4)] = i.value.trim(); });
    if (Object.keys(mapping).length) body.append("mapping", JSON.stringify(mapping));
    const { ok, data } = await api("POST", form.dataset.api, body);
    result.textContent = "";
    if (!ok) {
      result.appendChild(el("p", { class: "error" }, data.error || "The upload failed."));
      const details = data.details || [];
      if (details.length) {
        const list = el("ul", { class: "error" });
        details.slice(0, 20).forEach((d) => list.appendChild(el("li", {}, (d.row ? `Row ${d.row}: ` : "") + (d.error || JSON.stringify(d)))));
        result.appendChild(list);
      }
      return;
    }
    result.appendChild(el("p", {}, `${file.name}: ${data.rows} rows accepted.`));
    const widget = jobWidget(data.job_id, "import");
    result.appendChild(widget);
    pollJob(widget);
  };
  input.addEventListener("change", () => { if (input.files.length) send(input.files[0]); });
  ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (e) => { e.preventDefault(); form.classList.add("over"); }));
  ["dragleave", "drop"].forEach((name) => form.addEventListener(name, (e) => { e.preventDefault(); form.classList.remove("over"); }));
  form.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]); });
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

document.addEventListener("DOMContentLoaded", () => {
  setupUpload();
  setupPlayground();
  document.querySelectorAll(".job[data-job-id]").forEach((job) => {
    if (job.dataset.status === "queued" || job.dataset.status === "running") pollJob(job);
  });
});
