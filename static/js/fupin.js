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
