// Keyboard comfort in the inbox: j / k move to the next / previous
// application, ? opens the help. Everything works without it.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    var link;
    if (e.key === "j") link = document.getElementById("suivante");
    if (e.key === "k") link = document.getElementById("precedente");
    if (link) { e.preventDefault(); window.location.href = link.href; return; }
    if (e.key === "?") {
      var help = document.getElementById("aide-clavier");
      if (help && window.dsfr) { e.preventDefault(); window.dsfr(help).modal.disclose(); }
    }
  });
})();
