// sitwatch live status: ask /api/status every few seconds and show what it says.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) { return; }
  var every = parseInt(box.getAttribute("data-poll"), 10) || 2000;
  function put(id, text) {
    // only a change is written: the headline is a live region, and a screen reader reads
    // out each change to it (every poll, when it was rewritten each time)
    var el = document.getElementById(id);
    if (el.textContent !== text) { el.textContent = text; }
  }
  function show(s) {
    box.setAttribute("data-state", s.state);
    put("status-state", s.state);
    put("status-headline", s.headline);
    var ul = document.getElementById("status-detail");
    var lines = s.detail || [];
    var now = Array.prototype.map.call(ul.children, function (li) { return li.textContent; });
    if (now.join("\n") !== lines.join("\n")) {
      while (ul.firstChild) { ul.removeChild(ul.firstChild); }
      lines.forEach(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        ul.appendChild(li);
      });
    }
    put("status-gone", "");
    document.getElementById("status-updated").textContent =
      " (checked " + clock(new Date()) + ")";
  }
  var lastGood = null;
  function clock(d) {
    // 24-hour, as every other time sitwatch shows
    return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit",
                                     hour12: false});
  }
  function gone() {
    // the web app stopped answering: what is shown is no longer news, so say so (the last
    // state stays, dimmed) and keep asking. The words go to a live region of their own, once
    // (each failed poll writes the same), so a screen reader hears it stopped
    box.setAttribute("data-stale", "true");
    document.getElementById("status-updated").textContent = "";
    put("status-gone", " (sitwatch's web app is not answering" +
      (lastGood ? " since " + clock(lastGood) : "") +
      ": this is what it last said; it shows itself again once \u201csitwatch serve\u201d runs)");
  }
  function poll() {
    fetch("/api/status", {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) { box.removeAttribute("data-stale"); lastGood = new Date(); show(s); }
        else { gone(); }
      })
      .catch(gone)
      .then(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
}());
