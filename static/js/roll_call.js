// Roll call: show each tap as saving, and a failed save as failed so the
// teacher taps again (htmx re-sends the same request).
(function () {
  function row(event) {
    return event.detail.elt && event.detail.elt.closest(".roll-row");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var r = row(event);
    if (r) { r.classList.remove("save-failed"); r.classList.add("saving"); }
  });
  function failed(event) {
    var r = row(event);
    if (!r) return;
    r.classList.remove("saving");
    r.classList.add("save-failed");
    var state = r.querySelector(".row-state");
    if (state) state.textContent = document.getElementById("roll").dataset.saveFailed;
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:timeout", failed);
})();
