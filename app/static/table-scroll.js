// A table wider than the screen scrolls inside its .table-wrap box; say so above it, in the
// page's language (the sentence is on <body data-scroll-hint>), so that the columns out of
// view on a phone are not missed. The cue goes away when the table fits (a wider window).
(function () {
  "use strict";
  var hint = document.body.dataset.scrollHint;
  if (!hint) { return; }
  function mark() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      var cue = wrap.previousElementSibling;
      var hasCue = cue && cue.classList.contains("scroll-hint");
      wrap.classList.toggle("scrolls", scrolls);
      if (scrolls && !hasCue) {
        cue = document.createElement("p");
        cue.className = "scroll-hint";
        cue.textContent = hint;
        wrap.parentNode.insertBefore(cue, wrap);
      } else if (!scrolls && hasCue) {
        cue.remove();
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
