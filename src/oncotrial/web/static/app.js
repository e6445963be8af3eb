// Skip logic: a field with data-show-if is shown only while the field it names has one of
// the listed values (the server applies the same rule: hidden fields are neither required nor
// stored). No inline script anywhere: this file is the page's only script besides htmx.
(function () {
  "use strict";
  function valueOf(form, name) {
    const checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    const field = form.querySelector('[name="' + name + '"]:not([type="radio"])');
    return field ? field.value : "";
  }
  function apply(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      const wanted = box.getAttribute("data-show-values").toLowerCase().split("|");
      const shown = wanted.indexOf(valueOf(form, box.getAttribute("data-show-if")).toLowerCase()) >= 0;
      box.hidden = !shown;
    });
  }
  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      apply(form);
      form.addEventListener("change", function () { apply(form); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
