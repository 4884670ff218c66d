// The site's only script, loaded from this file (the Content-Security-Policy allows no inline
// script and no inline event handler). Every page works without it; it only saves a click.
"use strict";

// <select data-autosubmit>: choosing an option submits its form (a year picker).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined && target.form) {
    target.form.submit();
  }
});

// <button data-print>: print the page.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) {
    window.print();
  }
});

// <body data-print-on-load>: a printable copy opens the print dialog at once.
window.addEventListener("load", () => {
  if (document.body && document.body.dataset.printOnLoad !== undefined) {
    window.print();
  }
});

// Enter in a field of a form with search buttons (the donation form's need and donor pickers):
// in a picker's search field it presses that picker's search button; elsewhere the form's main
// button (<button data-default>), not the first search button that the browser would press.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || !field.form) {
    return;
  }
  const form = field.form;
  const main = form.querySelector("button[data-default]");
  if (!main) {
    return;
  }
  const find = field.dataset.find ? form.querySelector(`button[name="find"][value="${field.dataset.find}"]`) : null;
  event.preventDefault();
  (find || main).click();
});
