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

// Tracked links: a button copies each link (the link is shown as text
// anyway); the buttons appear only where the clipboard can be written.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var status = document.getElementById("lien-copie");
  document.querySelectorAll("button[data-copier]").forEach(function (b) {
    var link = document.getElementById(b.getAttribute("data-copier"));
    if (!link) return;
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(link.textContent).then(function () {
        if (status) status.textContent = "Lien copié.";
      }, function () {
        if (status) status.textContent = "Copie impossible : sélectionnez le lien pour le copier.";
      });
    });
  });
})();
