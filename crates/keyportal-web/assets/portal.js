// Copy buttons: <button data-copy="ID"> copies the value of the input #ID.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.getElementById(button.getAttribute("data-copy"));
  if (!input) return;
  var status = document.querySelector("[data-copy-status]");
  function done(ok) {
    if (status) status.textContent = ok ? "Copied to the clipboard." : "Select the key and copy it.";
  }
  input.select();
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(document.execCommand && document.execCommand("copy")); });
  } else {
    done(document.execCommand && document.execCommand("copy"));
  }
});

// Role editor: typing in the privilege filter hides privileges that do not match at once (the
// Filter button does the same on the server, so the page works without this).
document.addEventListener("input", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("[data-priv-filter]")) return;
  var q = input.value.trim().toLowerCase();
  document.querySelectorAll("[data-priv-group]").forEach(function (group) {
    var shown = 0;
    group.querySelectorAll("[data-priv-text]").forEach(function (item) {
      var hit = !q || item.getAttribute("data-priv-text").indexOf(q) !== -1;
      item.hidden = !hit;
      if (hit) shown++;
    });
    group.hidden = shown === 0;
    if (q && shown) group.open = true;
  });
});

// Usage pages: a new period or chart series shows at once; "Custom range" (or editing a date)
// waits for the dates and the Show button.
document.addEventListener("change", function (event) {
  var field = event.target;
  var form = field.closest && field.closest("form[data-usage-filter]");
  if (!form) return;
  var period = form.querySelector("select[name=period]");
  if (field.matches("input[type=date]")) {
    if (period) period.value = "custom";
    return;
  }
  if (!field.matches("select[data-autosubmit]")) return;
  if (field === period && period.value === "custom") {
    var from = form.querySelector("input[name=from]");
    if (from) from.focus();
    return;
  }
  if (form.requestSubmit) form.requestSubmit(); else form.submit();
});
