// Replies and translation: draft replies for chosen or filtered texts (with a progress bar), approve, reject and
// edit drafts, the reply policy and knowledge snippets, the reader's language, and the Translate toggle on a text.
// Uses api(), el(), jobWidget(), pollJob(), whenJobFinishes(), showError(), copyText() from app.js.
// Server text is only ever set with textContent.
"use strict";

function startJob(box, url, body, kind, onDone) {
  return api("POST", url, body).then(({ status, data }) => {
    if (status !== 202) { showError(box, data, "Could not start."); return false; }
    box.textContent = "";
    box.appendChild(el("p", { class: "hint" }, `${data.texts} text${data.texts === 1 ? "" : "s"} queued.`));
    const widget = jobWidget(data.job_id, kind);
    box.appendChild(widget);
    whenJobFinishes(data.job_id, onDone);
    pollJob(widget);
    return true;
  });
}

// --- choosing texts and drafting ---------------------------------------------------------------------------

function filtersOf(form) {
  const data = new FormData(form);
  const filters = {};
  ["date_from", "date_to", "source", "language", "product", "sentiment"].forEach((name) => {
    const value = String(data.get(name) || "").trim();
    if (value) filters[name] = value;
  });
  ["rating", "theme"].forEach((name) => { const value = String(data.get(name) || ""); if (value) filters[name] = Number(value); });
  return filters;
}

function setupDraftForm() {
  const form = document.getElementById("draft-form");
  if (!form) return;
  const box = document.getElementById("draft-progress");
  const variants = () => Number(new FormData(form).get("variants") || 1);
  const run = async (button, body) => {
    button.disabled = true;
    const started = await startJob(box, form.dataset.api, body, "reply drafts", (job) => {
      if (job.status === "succeeded") window.location.reload(); else button.disabled = false;
    });
    if (!started) button.disabled = false;
  };
  const act = (name, fn) => { const b = form.querySelector(`[data-action=${name}]`); if (b) b.addEventListener("click", () => fn(b)); };
  act("draft-selected", (b) => {
    const ids = Array.from(form.querySelectorAll("input[name=text_id]:checked")).map((i) => Number(i.value));
    if (!ids.length) { showError(box, null, "Tick the texts to reply to first, or draft replies to all matching texts."); return; }
    run(b, { text_ids: ids, variants: variants() });
  });
  act("draft-all", (b) => run(b, { filters: filtersOf(form), variants: variants() }));
  act("translate-all", async (b) => {
    b.disabled = true;
    const lang = String(new FormData(form).get("lang") || "");
    const started = await startJob(box, form.dataset.translateApi, { filters: filtersOf(form), lang }, "translations", (job) => {
      b.disabled = false;
      if (job.status === "succeeded") box.appendChild(el("p", { class: "hint" }, "Open a text to read its translation."));
    });
    if (!started) b.disabled = false;
  });
}

function setupDraftOne() {
  const row = document.getElementById("draft-one");
  if (!row) return;
  const box = document.getElementById("draft-progress");
  const button = row.querySelector("[data-action=draft-one]");
  button.addEventListener("click", async () => {
    button.disabled = true;
    const variants = Number(row.querySelector("select[name=variants]").value || 1);
    const started = await startJob(box, row.dataset.api, { text_ids: [Number(row.dataset.textId)], variants }, "reply draft",
      (job) => { if (job.status === "succeeded") window.location.reload(); else button.disabled = false; });
    if (!started) button.disabled = false;
  });
}

// --- reviewing drafts --------------------------------------------------------------------------------------

function setupDraftCard(card) {
  const base = `/api/v1/replies/${card.dataset.draftId}`;
  const result = card.querySelector(".reply-result");
  const act = (name, fn) => { const b = card.querySelector(`[data-action=${name}]`); if (b) b.addEventListener("click", fn); };
  const reloadOr = ({ ok, data }) => { if (ok) window.location.reload(); else showError(result, data, "That did not work."); };
  act("copy", () => copyText(card.dataset.text, result));
  act("approve", async () => reloadOr(await api("POST", `${base}/approve`)));
  act("reject", async () => reloadOr(await api("POST", `${base}/reject`)));
  const editor = card.querySelector(".editor");
  act("edit", () => { if (editor) editor.hidden = !editor.hidden; });
  act("cancel-edit", () => { if (editor) editor.hidden = true; });
  if (editor) {
    editor.addEventListener("submit", async (e) => {
      e.preventDefault();
      result.textContent = "Checking and moderating…";
      reloadOr(await api("PATCH", base, { text: new FormData(editor).get("text") }));
    });
  }
}

// --- policy and knowledge ----------------------------------------------------------------------------------

function setupPolicy() {
  const form = document.getElementById("policy-form");
  if (form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = {
        policy: data.get("policy"), tone: data.get("tone"), sign_off: data.get("sign_off"),
        allowed_promises: String(data.get("allowed_promises") || "").split("\n").map((s) => s.trim()).filter(Boolean),
      };
      const { ok, data: out } = await api("PUT", form.dataset.api, body);
      document.getElementById("policy-result").textContent = ok ? "Saved." : (out.error || "Not saved.");
    });
  }
  const add = document.getElementById("snippet-add");
  if (add) {
    add.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = new FormData(add);
      const { ok, data: out } = await api("POST", add.dataset.api, { title: data.get("title"), text: data.get("text") });
      if (ok) window.location.reload();
      else document.getElementById("snippet-add-result").textContent = out.error || "Not added.";
    });
  }
  document.querySelectorAll(".snippet[data-snippet-id]").forEach((row) => {
    const url = `/api/v1/knowledge/${row.dataset.snippetId}`;
    const result = row.querySelector(".snippet-result");
    const editor = row.querySelector(".snippet-editor");
    const edit = row.querySelector("[data-action=edit-snippet]");
    const remove = row.querySelector("[data-action=delete-snippet]");
    if (edit && editor) edit.addEventListener("click", () => { editor.hidden = !editor.hidden; });
    if (editor) {
      editor.addEventListener("submit", async (e) => {
        e.preventDefault();
        const data = new FormData(editor);
        const { ok, data: out } = await api("PUT", url, { title: data.get("title"), text: data.get("text") });
        if (ok) window.location.reload(); else result.textContent = out.error || "Not saved.";
      });
    }
    if (remove) {
      remove.addEventListener("click", async () => {
        if (!window.confirm("Delete this knowledge snippet?")) return;
        const response = await api("DELETE", url);
        if (response.ok || response.status === 204) window.location.reload();
        else result.textContent = response.data.error || "Not deleted.";
      });
    }
  });
}

// --- reading language and translation ----------------------------------------------------------------------

function setupLanguageForm() {
  const form = document.getElementById("language-form");
  if (!form) return;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { ok, data } = await api("PUT", form.dataset.api, { language: new FormData(form).get("language") });
    document.getElementById("language-result").textContent = ok ? `Saved: you read in ${data.choices[data.language]}.`
      : (data.error || "Not saved.");
  });
}

async function setupTranslation(block) {
  const select = block.querySelector(".translation-lang");
  const button = block.querySelector("[data-action=translate]");
  const output = block.querySelector(".translation-output");
  const meta = block.querySelector(".translation-meta");
  const mine = await api("GET", "/api/v1/me/language");
  if (mine.ok) {
    select.textContent = "";
    Object.entries(mine.data.choices).forEach(([code, name]) => {
      const option = el("option", { value: code }, name);
      if (code === mine.data.language) option.selected = true;
      select.appendChild(option);
    });
  }
  const showOriginal = () => { output.hidden = true; button.textContent = "Translate"; };
  select.addEventListener("change", showOriginal);
  button.addEventListener("click", async () => {
    if (!output.hidden) { showOriginal(); return; }
    button.disabled = true;
    meta.textContent = "Translating…";
    const lang = select.value ? `?lang=${encodeURIComponent(select.value)}` : "";
    const { ok, data } = await api("GET", `/api/v1/texts/${block.dataset.textId}/translation${lang}`);
    button.disabled = false;
    if (!ok) { meta.textContent = ""; meta.appendChild(el("span", { class: "error" }, data.error || "No translation.")); return; }
    output.textContent = data.translation;
    output.setAttribute("lang", data.language);
    output.hidden = false;
    button.textContent = "Show original only";
    meta.textContent = data.same_language
      ? `The text is already in ${select.options[select.selectedIndex].text}.`
      : `Translated from ${data.source_language || "?"} into ${data.language} by ${data.model || "the model"}` +
        (data.cached ? " (kept from an earlier request)." : ".");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupDraftForm();
  setupDraftOne();
  setupPolicy();
  setupLanguageForm();
  document.querySelectorAll(".reply[data-draft-id]").forEach(setupDraftCard);
  document.querySelectorAll(".translation[data-text-id]").forEach(setupTranslation);
});
