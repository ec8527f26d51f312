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

// Privilege and item pickers of the wizard, the credential edits and the role editor
// (progressive: the server searches and counts without JavaScript).
// <input data-filter="X"> hides the [data-filter-text] rows of [data-filter-list="X"] that do not
// contain every typed word, and empty [data-filter-group]s.
document.addEventListener("input", function (event) {
  var box = event.target.closest("[data-filter]");
  if (!box) return;
  var list = document.querySelector('[data-filter-list="' + box.getAttribute("data-filter") + '"]');
  if (!list) return;
  var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
  list.querySelectorAll("[data-filter-text]").forEach(function (row) {
    var text = row.getAttribute("data-filter-text");
    row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
  });
  list.querySelectorAll("[data-filter-group]").forEach(function (group) {
    group.hidden = !group.querySelector("[data-filter-text]:not([hidden])");
    if (words.length && !group.hidden) group.open = true;
  });
});

// Selection counters: [data-count="X"] shows how many [data-counted="X"] boxes are checked plus
// the choices carried in hidden fields named X.
document.addEventListener("change", function (event) {
  var box = event.target.closest("[data-counted]");
  if (!box || !box.form) return;
  var name = box.getAttribute("data-counted");
  var count = box.form.querySelectorAll('[data-counted="' + name + '"]:checked').length +
    box.form.querySelectorAll('input[type="hidden"][name="' + name + '"]').length;
  var out = box.form.querySelector('[data-count="' + name + '"]');
  if (!out) return;
  out.textContent = count;
  var max = parseInt(out.getAttribute("data-max") || "0", 10);
  out.parentNode.classList.toggle("over", max > 0 && count > max);
});

// <div data-show-when="NAME=VALUE"> is shown only while the form field NAME has VALUE.
function keyportalShowWhen() {
  document.querySelectorAll("[data-show-when]").forEach(function (el) {
    var rule = el.getAttribute("data-show-when").split("=");
    var field = document.querySelector('[name="' + rule[0] + '"]');
    if (field) el.hidden = field.value !== rule[1];
  });
}
document.addEventListener("change", function (event) {
  if (event.target.name && document.querySelector('[data-show-when^="' + event.target.name + '="]')) keyportalShowWhen();
});
document.addEventListener("DOMContentLoaded", keyportalShowWhen);
