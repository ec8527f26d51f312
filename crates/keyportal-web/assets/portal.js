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
