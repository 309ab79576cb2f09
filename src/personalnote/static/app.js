// personalnote review: keyboard shortcuts. No dependencies; the pages work without it.
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row[data-href]")); }
  function selected() { return document.querySelector("tr.row.selected"); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); });
    if (row) { row.classList.add("selected"); row.scrollIntoView({block: "nearest"}); }
  }
  function move(step) {
    var all = rows(); if (!all.length) { return; }
    var i = all.indexOf(selected());
    select(all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + step))]);
  }
  function focusAction(id) {
    var form = document.getElementById(id); if (!form) { return false; }
    document.querySelectorAll("form.action").forEach(function (f) { f.classList.remove("focused"); });
    form.classList.add("focused");
    form.scrollIntoView({block: "center"});
    // the first field to type in; never a button, so a stray key press cannot sign anything
    var field = form.querySelector("textarea, input:not([type=hidden])");
    if (!form.hasAttribute("tabindex")) { form.setAttribute("tabindex", "-1"); }
    (field || form).focus();
    return true;
  }
  var keys = {a: "approve", e: "edit", r: "reject", c: "change"};
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
    if (typing(event)) { return; }
    var help = document.getElementById("shortcuts");
    if (event.key === "?") { help.hidden = !help.hidden; event.preventDefault(); return; }
    if (event.key === "j") { move(1); event.preventDefault(); return; }
    if (event.key === "k") { move(-1); event.preventDefault(); return; }
    if (event.key === "/") {
      var search = document.getElementById("search");
      if (search) { search.focus(); event.preventDefault(); }
      return;
    }
    var row = selected();
    if ((event.key === "o" || event.key === "Enter") && row) { window.location = row.dataset.href; return; }
    var action = keys[event.key];
    if (!action) { return; }
    if (row) { window.location = row.dataset.href + "?focus=" + action; event.preventDefault(); return; }
    if (focusAction(action)) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".shortcuts-link");
    if (link) { event.preventDefault(); var h = document.getElementById("shortcuts"); h.hidden = !h.hidden; return; }
    var row = event.target.closest && event.target.closest("tr.row[data-href]");
    if (row && !event.target.closest("a")) { window.location = row.dataset.href; }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // ?focus=approve (not #approve: the browser's own scroll to a fragment would take the focus back)
    var wanted = new URLSearchParams(window.location.search).get("focus");
    if (wanted && Object.values(keys).indexOf(wanted) >= 0) { focusAction(wanted); }
    if (rows().length) { select(rows()[0]); }
  });
})();
