// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy needs no inline handlers.
// <select data-autosubmit> submits its form when it changes (the snapshot, period and status pickers).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
