// The review page's column picker: show the picked column's first value at once
// (the preview of the first rows follows on "Update preview").
document.querySelectorAll("[data-testid=column-picker] select").forEach((select) => {
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    select.closest("tr").querySelector("[data-example-of-pick]").textContent = (option && option.dataset.example) || "";
  });
});
