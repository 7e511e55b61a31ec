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
