// Progressive enhancement only: every page works without this file.
// Move focus to the error summary so screen-reader and keyboard users hear the problems first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});

// Join page: a quiet countdown to when the doors open (the page works without it).
document.addEventListener("DOMContentLoaded", function () {
  var el = document.querySelector("[data-countdown]");
  if (!el) { return; }
  var doorsOpen = Date.now() + parseInt(el.getAttribute("data-countdown"), 10) * 1000;
  function show() {
    var minutes = Math.ceil((doorsOpen - Date.now()) / 60000);
    if (minutes <= 0) {
      el.textContent = "You can join now: choose \u201cCheck again\u201d.";
      return;
    }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    var parts = [];
    if (hours) { parts.push(hours + (hours === 1 ? " hour" : " hours")); }
    if (rest) { parts.push(rest + (rest === 1 ? " minute" : " minutes")); }
    el.textContent = "You can join in " + parts.join(" and ") + ".";
    window.setTimeout(show, 30000);
  }
  el.hidden = false;
  show();
});
