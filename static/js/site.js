// Progressive enhancement only: every page works without this file.
// Move focus to the error summary so screen-reader and keyboard users hear the problems first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});
