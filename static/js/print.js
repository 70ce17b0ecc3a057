// Buttons marked data-print open the browser's print dialog (no inline script: CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
