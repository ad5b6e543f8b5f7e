// The application form tells the site, once, that someone began to fill
// it in: a count of forms started, with nothing about the person (no
// cookie, no field's value). The form works the same without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-debut]");
  if (!form || !navigator.sendBeacon) return;
  function started() {
    form.removeEventListener("input", started);
    navigator.sendBeacon(form.getAttribute("data-debut"));
  }
  form.addEventListener("input", started);
})();
