// hookline dashboard: live rows for the message log (server-sent events) and the CSRF header for htmx.
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
  });
})();
