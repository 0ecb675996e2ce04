// A rep search box (the accounts page's owner filter, the team page's rep, the review's
// rep, the target form's rep): a
// search over /portfolio/owners/?q= (a datalist of at most 20 names), not a select with one option
// per rep. Picking a name (or typing one exactly) sets the hidden id and fires the form's change
// (on the accounts page htmx reloads the table); clearing the box clears the id.
(function () {
  "use strict";
  const box = document.querySelector("[data-owner-search]");
  if (!box) return;
  const hidden = box.form.querySelector("[data-owner-id]");
  const list = document.getElementById(box.getAttribute("list"));
  let found = new Map();
  let timer = null;

  function pick(id) {
    if (hidden.value === id) return;
    hidden.value = id;
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
    if (box.hasAttribute("data-submit-on-pick")) box.form.requestSubmit(); // the team page's rep picker
  }

  async function search(text) {
    const response = await fetch(box.dataset.ownerSearch + "?q=" + encodeURIComponent(text), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const { results } = await response.json();
    found = new Map(results.map((o) => [o.name, String(o.id)]));
    list.replaceChildren(...results.map((o) => Object.assign(document.createElement("option"), { value: o.name })));
    const typed = box.value.trim();
    if (found.has(typed)) pick(found.get(typed));
  }

  box.addEventListener("input", () => {
    const text = box.value.trim();
    clearTimeout(timer);
    if (!text) return pick("");
    if (found.has(text)) return pick(found.get(text));
    timer = setTimeout(() => search(text), 200);
  });
})();
