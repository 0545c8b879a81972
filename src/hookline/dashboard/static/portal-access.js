// hookline app-portal links carry their token in the URL fragment, which browsers never send to a
// server (so no access log records it). Post it to the server, then drop it from the address bar.
(function () {
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  var form = document.getElementById("portal-access");
  if (!match || !form) {
    var missing = document.getElementById("portal-access-missing");
    if (missing) missing.hidden = false;
    return;
  }
  window.history.replaceState(null, "", window.location.pathname);
  form.elements.token.value = decodeURIComponent(match[1]);
  form.submit();
})();
