// Copy studio: write copy from a brief (with a progress bar), brand voice, ideas; on a request page edit,
// regenerate, favourite, approve, compare side by side and copy variants to the clipboard.
// Uses api(), el(), jobWidget(), pollJob(), whenJobFinishes(), showError(), copyText() from app.js.
// Server text is only ever set with textContent.
"use strict";

function setupBrief() {
  const form = document.getElementById("brief-form");
  if (!form) return;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const locale = String(data.get("locale") || "en-US");
    const brief = {
      product: data.get("product"), audience: data.get("audience"), goal: data.get("goal"), channel: data.get("channel"),
      tone: data.get("tone"), length: data.get("length"), key_message: data.get("key_message"),
      variants: Number(data.get("variants") || 3), language: locale.split("-")[0], locale,
    };
    const box = document.getElementById("brief-progress");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const { status, data: body } = await api("POST", form.dataset.api, { brief });
    if (status !== 202) { showError(box, body, "Could not start writing."); button.disabled = false; return; }
    box.textContent = "";
    const widget = jobWidget(body.job_id, "copy");
    box.appendChild(widget);
    whenJobFinishes(body.job_id, () => { window.location = `/copy/${body.copy_id}/`; });
    pollJob(widget);
  });
}

function setupVoice() {
  const form = document.getElementById("voice-form");
  if (!form) return;
  form.querySelectorAll("input[type=range]").forEach((range) => {
    range.addEventListener("input", () => { range.parentElement.querySelector("output").textContent = `${range.value}/5`; });
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const words = (name) => String(data.get(name) || "").split(/[,，\n]/).map((s) => s.trim()).filter(Boolean);
    const body = {
      formality: Number(data.get("formality")), playfulness: Number(data.get("playfulness")),
      enthusiasm: Number(data.get("enthusiasm")), reading_level: data.get("reading_level"),
      words_to_use: words("words_to_use"), words_to_avoid: words("words_to_avoid"),
      samples: String(data.get("samples") || "").split(/\n-{3,}\n/).map((s) => s.trim()).filter(Boolean),
    };
    const { ok, data: out } = await api("PUT", form.dataset.api, body);
    document.getElementById("voice-result").textContent = ok ? "Saved." : (out.error || "Not saved.");
  });
}

function setupIdeas() {
  const button = document.getElementById("start-ideas");
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    const box = document.getElementById("ideas-progress");
    const { status, data } = await api("POST", button.dataset.api);
    if (status !== 202) { showError(box, data, "Could not start."); button.disabled = false; return; }
    box.textContent = "";
    const widget = jobWidget(data.job_id, "ideas");
    box.appendChild(widget);
    whenJobFinishes(data.job_id, () => { window.location = `/copy/ideas/${data.idea_set_id}/`; });
    pollJob(widget);
  });
}

function setupVariant(card) {
  const base = `/api/v1/copy/${card.dataset.copyId}/variants/${card.dataset.variantId}`;
  const result = card.querySelector(".variant-result");
  const act = (name, fn) => { const b = card.querySelector(`[data-action=${name}]`); if (b) b.addEventListener("click", fn); };
  const reportOrReload = ({ ok, data }) => { if (ok) window.location.reload(); else showError(result, data, "That did not work."); };

  act("copy", () => copyText(card.dataset.text, result));
  act("favourite", async (e) => {
    const on = e.target.dataset.on !== "1";
    const { ok, data } = await api("POST", `${base}/favourite`, { favourite: on });
    if (!ok) { showError(result, data, "Not saved."); return; }
    e.target.dataset.on = on ? "1" : "0";
    e.target.textContent = on ? "★ Favourite" : "☆ Favourite";
    card.classList.toggle("is-favourite", on);
  });
  act("approve", async () => reportOrReload(await api("POST", `${base}/approve`)));
  act("regenerate", async (e) => {
    e.target.disabled = true;
    const { status, data } = await api("POST", `${base}/regenerate`);
    if (status !== 202) { showError(result, data, "Could not regenerate."); e.target.disabled = false; return; }
    result.textContent = "";
    const widget = jobWidget(data.job_id, "regenerate");
    result.appendChild(widget);
    whenJobFinishes(data.job_id, (job) => { if (job.status === "succeeded") window.location.reload(); else e.target.disabled = false; });
    pollJob(widget);
  });
  const editor = card.querySelector(".editor");
  act("edit", () => { if (editor) editor.hidden = !editor.hidden; });
  act("cancel-edit", () => { if (editor) editor.hidden = true; });
  if (editor) {
    editor.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(editor);
      reportOrReload(await api("PATCH", base, {
        headline: data.get("headline"), body: data.get("body"), call_to_action: data.get("call_to_action"),
      }));
    });
  }
  const pick = card.querySelector(".compare-pick");
  if (pick) pick.addEventListener("change", () => card.classList.toggle("compare-on", pick.checked));
}

function setupCompare() {
  const toggle = document.getElementById("compare-toggle");
  const grid = document.getElementById("variants");
  if (!toggle || !grid) return;
  toggle.addEventListener("click", () => {
    const picked = grid.querySelectorAll(".variant.compare-on").length;
    if (!grid.classList.contains("comparing") && picked < 2) { alert("Tick “compare” on two or more variants first."); return; }
    grid.classList.toggle("comparing");
    toggle.textContent = grid.classList.contains("comparing") ? "Show all variants" : "Compare selected side by side";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupBrief();
  setupVoice();
  setupIdeas();
  setupCompare();
  document.querySelectorAll(".variant[data-variant-id]").forEach(setupVariant);
  const running = document.querySelector("#copy-job .job[data-job-id]");
  if (running) whenJobFinishes(running.dataset.jobId, () => window.location.reload());
});
