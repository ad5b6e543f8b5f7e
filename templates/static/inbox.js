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

// Mentions in a note: typing "@" in the note offers the posting's other
// reviewers as buttons under the field, filtered by what follows the "@";
// choosing one writes their address. Without it, typing the address (or
// what comes before its "@") does the same.
(function () {
  "use strict";
  var note = document.querySelector("textarea[data-mentions]");
  if (!note) return;
  var box = document.getElementById(note.getAttribute("data-mentions"));
  var status = document.getElementById("suggestions-mention-etat");
  if (!box) return;
  var buttons = Array.prototype.slice.call(box.querySelectorAll("button[data-mention]"));
  var typed = null; // the "@…" being typed: {start, end, query}

  function current() {
    var before = note.value.slice(0, note.selectionStart);
    var m = /(^|[\s(\[{,;:«"'])@([^\s@]*(?:@[^\s]*)?)$/.exec(before);
    if (!m) return null;
    return { start: before.length - m[2].length - 1, end: note.selectionStart, query: m[2].toLowerCase() };
  }
  function say(text) { if (status) status.textContent = text; }
  function update() {
    typed = current();
    var shown = 0;
    buttons.forEach(function (b) {
      var match = typed !== null && b.getAttribute("data-mention").indexOf(typed.query) !== -1;
      b.parentNode.hidden = !match;
      if (match) shown++;
    });
    var was = !box.hidden;
    box.hidden = shown === 0;
    if (shown && !was) say(shown === 1 ? "1 personne à mentionner, sous le champ." : shown + " personnes à mentionner, sous le champ.");
    if (!shown && was) say("");
  }
  note.addEventListener("input", update);
  note.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !box.hidden) { box.hidden = true; e.stopPropagation(); }
  });
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      if (!typed) return;
      var text = "@" + b.getAttribute("data-mention") + " ";
      note.value = note.value.slice(0, typed.start) + text + note.value.slice(typed.end);
      var at = typed.start + text.length;
      note.focus();
      note.setSelectionRange(at, at);
      box.hidden = true;
      typed = null;
      say(b.getAttribute("data-mention") + " sera prévenu·e par email à l'ajout de la note.");
    });
  });
})();
