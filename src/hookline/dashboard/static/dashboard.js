// hookline dashboard: live rows for the message log (server-sent events), the CSRF header for htmx,
// relative times and copy buttons. Every page works without it; this only adds comfort.
(function () {
  var body = document.body;
  var csrf = body.getAttribute("data-csrf");
  if (csrf) {
    document.addEventListener("htmx:configRequest", function (e) { e.detail.headers["x-csrf"] = csrf; });
  }
  // forms that ask first (the Content-Security-Policy allows no inline handlers)
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });

  // times: "3 min ago", with the absolute local time on hover
  var units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  function relative(seconds) {
    for (var i = 0; i < units.length; i++) {
      var n = Math.round(seconds / units[i][1]);
      if (Math.abs(n) >= 1 || units[i][0] === "second") {
        return rtf ? rtf.format(n, units[i][0]) : Math.abs(n) + " " + units[i][0] + (Math.abs(n) === 1 ? "" : "s") + (n < 0 ? " ago" : " from now");
      }
    }
    return "";
  }
  function times(root) {
    var found = (root || document).querySelectorAll("time[data-ago]");
    for (var i = 0; i < found.length; i++) {
      var t = found[i], at = new Date(t.getAttribute("datetime"));
      if (isNaN(at)) continue;
      if (!t.hasAttribute("title")) t.setAttribute("title", at.toLocaleString() + " (" + t.textContent.trim() + ")");
      t.textContent = relative((at.getTime() - Date.now()) / 1000);
    }
  }

  // copy buttons next to every [data-copy] element (ids, secrets, payloads, headers)
  function copyText(text, button) {
    function done() { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (err) { /* the text stays selectable by hand */ }
    area.remove();
  }
  function copies(root) {
    var found = (root || document).querySelectorAll("[data-copy]:not([data-copy-ready])");
    for (var i = 0; i < found.length; i++) {
      (function (el) {
        el.setAttribute("data-copy-ready", "");
        var button = document.createElement("button");
        button.type = "button"; button.className = "secondary copy"; button.textContent = "Copy";
        button.setAttribute("aria-label", "Copy " + (el.getAttribute("data-copy") || "this"));
        button.addEventListener("click", function () { copyText(el.textContent.trim(), button); });
        el.insertAdjacentElement("afterend", button);
      })(found[i]);
    }
  }
  function enhance(root) { times(root); copies(root); }
  enhance(document);
  setInterval(function () { times(document); }, 30000);
  document.addEventListener("htmx:afterSettle", function (e) { enhance(e.target); });

  var table = document.querySelector("[data-stream]");
  if (!table || !window.EventSource) return;
  var status = document.getElementById("live-status");
  var source = new EventSource(table.getAttribute("data-stream"));
  source.addEventListener("open", function () { if (status) status.textContent = "● live"; });
  source.addEventListener("error", function () { if (status) status.textContent = "reconnecting…"; });
  source.addEventListener("rows", function (e) {
    var tbody = table.querySelector("tbody");
    var empty = document.getElementById("log-empty");
    if (empty) empty.remove();
    table.hidden = false;
    tbody.insertAdjacentHTML("afterbegin", e.data);
    if (window.htmx) window.htmx.process(tbody);
    enhance(tbody);
  });
})();
