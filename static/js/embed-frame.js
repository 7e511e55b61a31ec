// Inside the widget's frame (templates/embed/base.html): tell the page around the frame how
// tall this page is, so static/js/embed.js can fit the frame to it, and where the part the
// visitor asked for starts (#register, or the error summary), so it can scroll there.
// Progressive enhancement only: without it the frame keeps its own height and scrolls.
(function () {
  if (window.parent === window) { return; }  // opened on its own, not in a frame
  var last = 0;
  function target() {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { return summary; }
    var id = window.location.hash.slice(1);
    return id ? document.getElementById(id) : null;
  }
  function send(withAnchor) {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last && !withAnchor) { return; }
    last = height;
    var message = { type: "backpain-webinars:height", height: height };
    var anchor = withAnchor && target();
    if (anchor) { message.anchor = Math.max(0, Math.floor(anchor.getBoundingClientRect().top + window.scrollY)); }
    // The height of a public page is no secret, and this page cannot know which site
    // framed it; embed.js checks that the message comes from this site.
    window.parent.postMessage(message, "*");
  }
  function start() {
    send(true);
    if (window.ResizeObserver) {
      new ResizeObserver(function () { send(false); }).observe(document.documentElement);
    } else {
      window.addEventListener("resize", function () { send(false); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("load", function () { send(false); });
})();
