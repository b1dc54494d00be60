// Keyboard shortcuts for the moderation queue and case pages. No inline scripts (CSP); decisions are ordinary
// form posts, so everything also works without this file.
//   queue: j/k move, x select, o or Enter open, a/r/s approve/reject/send back the selection (or current row)
//   case:  a approve, r reject, e edit (Ctrl+Enter saves), s send back, n note, j/k next/previous, u queue
//   both:  z undo your last decision (when the page offers it: #undo-button, a form post like the rest)
"use strict";

(function () {
  function typing(event) {
    const t = event.target;
    return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  }

  // Undo has its own form on both pages; on the queue it must not go through the bulk form's selection guard.
  function undo() {
    const button = document.getElementById("undo-button");
    if (button) button.click();
    return Boolean(button);
  }

  function setupQueue() {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    const rows = Array.from(form.querySelectorAll(".mod-row"));
    let current = -1;
    const selectPage = document.getElementById("select-page");
    const scopeFilter = document.getElementById("scope-filter");

    const boxes = () => rows.map((r) => r.querySelector("input[name=case]"));
    const mark = () => rows.forEach((r, i) => {
      r.classList.toggle("current", i === current);
      r.classList.toggle("selected", r.querySelector("input[name=case]").checked);
    });
    const move = (delta) => {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, current + delta));
      rows[current].scrollIntoView({ block: "nearest" });
      mark();
    };
    if (selectPage) selectPage.addEventListener("change", () => { boxes().forEach((b) => { b.checked = selectPage.checked; }); mark(); });
    form.addEventListener("change", mark);
    rows.forEach((row, i) => row.addEventListener("click", (e) => {
      if (e.target.tagName === "A" || e.target.tagName === "INPUT") return;
      current = i; mark();
    }));

    // Guard the whole-filter scope: it can touch thousands of cases.
    form.addEventListener("submit", (e) => {
      const action = e.submitter ? e.submitter.value : "";
      if (scopeFilter && scopeFilter.checked) {
        if (!window.confirm(`Apply "${action}" to all ${form.dataset.total} cases matching the filter?`)) e.preventDefault();
      } else if (!boxes().some((b) => b.checked)) {
        e.preventDefault();
        window.alert("Select cases first (x, or the checkboxes), or choose “all matching the filter”.");
      }
    });

    document.addEventListener("keydown", (e) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key;
      if (key === "j") move(1);
      else if (key === "k") move(-1);
      else if (key === "x" && current >= 0) { const b = boxes()[current]; b.checked = !b.checked; mark(); }
      else if ((key === "o" || key === "Enter") && current >= 0) window.location = rows[current].dataset.url;
      else if (key === "z") { if (!undo()) return; }
      else if (["a", "r", "s"].includes(key)) {
        if (!boxes().some((b) => b.checked) && current >= 0 && !(scopeFilter && scopeFilter.checked)) boxes()[current].checked = true;
        const button = form.querySelector(`button[data-key="${key}"]`);
        if (button) button.click();
      } else if (key === "n" || key === "p") {
        const link = document.querySelector(`.pager a[data-key="${key}"]`);
        if (link) window.location = link.href;
      } else return;
      e.preventDefault();
    });
  }

  // The case page and the admin's case form (whose buttons sit outside the form, linked with form="…").
  function setupCase() {
    if (!document.getElementById("decision-form")) return;
    const edit = document.getElementById("edit-box");
    const editText = document.getElementById("edit-text");
    const byId = (id) => document.getElementById(id);
    if (editText) editText.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); byId("edit-submit").click(); }
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key;
      if (["a", "r", "s"].includes(key)) {
        const button = document.querySelector(`button[data-key="${key}"]`);
        if (!button) return;
        button.click();
      } else if (key === "z") { if (!undo()) return; }
      else if (key === "e" && edit && editText) { edit.open = true; editText.focus(); }
      else if (key === "n" && (byId("note-body") || byId("decision-note"))) (byId("note-body") || byId("decision-note")).focus();
      else if (key === "j" || key === "k") {
        const link = document.querySelector(`.mod-nav a[data-key="${key}"]`);
        if (!link) return;
        window.location = link.href;
      } else if (key === "u" && document.querySelector(".mod-nav a")) window.location = document.querySelector(".mod-nav a").href;
      else return;
      e.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", () => { setupQueue(); setupCase(); });
})();
