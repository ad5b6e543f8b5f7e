// /dev/mail: the frame of a message's HTML part takes the height of the
// message, footer included. Without it the frame keeps the height of
// vivier.css, and the part can be opened on its own.
(function () {
  "use strict";
  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement || doc.URL === "about:blank") return;
    frame.style.height = "0";
    // The frame's borders come on top (the DSFR sizes border-box).
    frame.style.height = doc.documentElement.scrollHeight + frame.offsetHeight - frame.clientHeight + "px";
  }
  var frames = document.querySelectorAll("iframe.vivier-mail");
  Array.prototype.forEach.call(frames, function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    fit(frame);
  });
  window.addEventListener("resize", function () {
    Array.prototype.forEach.call(frames, fit);
  });
})();
