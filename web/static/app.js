// Progressive enhancement only: every form works without this script.
// It previews the Latin spelling of a name field while the person types.
(function () {
  "use strict";
  document.querySelectorAll("input[data-translit]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-translit"));
    if (!out) { return; }
    var timer = null;
    var update = function () {
      var text = input.value;
      fetch("/translit", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "text=" + encodeURIComponent(text)
      })
        .then(function (r) { return r.ok ? r.json() : { latin: "" }; })
        .then(function (j) { if (input.value === text) { out.textContent = j.latin || ""; } })
        .catch(function () {});
    };
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 150); });
    if (input.value) { update(); }
  });
}());
