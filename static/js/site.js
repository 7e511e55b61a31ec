// Progressive enhancement only: every page works without this file.
// Move focus to the error summary so screen-reader and keyboard users hear the problems first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});
// A link in the error summary scrolls its field's label or legend into view, not only the
// field (as GOV.UK Frontend's error summary does), then focuses the field.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".govuk-error-summary a[href^='#']");
  var field = link && document.getElementById(link.hash.slice(1));
  if (!field) { return; }
  var fieldset = field.closest("fieldset");
  var label = fieldset ? fieldset.querySelector("legend") : document.querySelector("label[for='" + field.id + "']");
  if (!label) { return; }
  event.preventDefault();
  label.scrollIntoView();
  field.focus({ preventScroll: true });
});
// A part of a form that matters for one answer only (data-shown-when="who_for=someone_else")
// shows only while that answer is chosen; without JavaScript it always shows.
document.addEventListener("DOMContentLoaded", function () {
  var parts = document.querySelectorAll("[data-shown-when]");
  if (!parts.length) { return; }
  function update() {
    parts.forEach(function (part) {
      var rule = part.getAttribute("data-shown-when").split("=");
      var chosen = document.querySelector("input[name='" + rule[0] + "']:checked");
      part.hidden = !(chosen && chosen.value === rule[1]);
    });
  }
  document.addEventListener("change", update);
  update();
});
