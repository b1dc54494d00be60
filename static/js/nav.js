// The menu button of small screens. Loaded without `defer` in <head>, so the `has-js` class is on <html> before the
// first paint: the CSS collapses the navigation only when this script runs (without it the links stay listed).
"use strict";

document.documentElement.classList.add("has-js");

document.addEventListener("DOMContentLoaded", () => {
  const topbar = document.querySelector(".topbar");
  const button = topbar && topbar.querySelector(".nav-toggle");
  if (!button) return;
  const setOpen = (open) => {
    topbar.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => setOpen(!topbar.classList.contains("nav-open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && topbar.classList.contains("nav-open")) {
      setOpen(false);
      button.focus();
    }
  });
});
