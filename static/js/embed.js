// For websites that show the Back pain webinars widget (see the organisers' "Show our
// webinars on your website" page). Optional: it fits each widget frame to its content, so
// the page scrolls as one, and brings the frame's new page into view after a click in it.
// Without it the frame keeps the height in the snippet and scrolls by itself.
(function () {
  var script = document.currentScript;
  if (!script || !window.postMessage) { return; }
  var site = new URL(script.src).origin;  // messages are accepted from this site only

  function frames() {
    var found = [];
    var all = document.querySelectorAll("iframe[data-backpain-webinars]");
    for (var i = 0; i < all.length; i++) { found.push(all[i]); }
    return found;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== site) { return; }
    var data = event.data;
    if (!data || data.type !== "backpain-webinars:height" || typeof data.height !== "number") { return; }
    var list = frames();
    for (var i = 0; i < list.length; i++) {
      var frame = list[i];
      if (frame.contentWindow !== event.source) { continue; }
      var height = Math.max(150, Math.min(Math.round(data.height), 20000));
      frame.setAttribute("height", String(height));
      if (typeof data.anchor === "number" && frame.getAttribute("data-loaded")) {
        // A new page in the frame after a click in it: show its start, or the part it asked for.
        var top = frame.getBoundingClientRect().top + window.scrollY + data.anchor;
        if (data.anchor > 0 || frame.getBoundingClientRect().top < 0) {
          window.scrollTo(0, Math.max(0, top - 16));
        }
      }
      frame.setAttribute("data-loaded", "yes");
    }
  });
})();
