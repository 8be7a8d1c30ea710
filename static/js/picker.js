/* Catalogue pickers (issue 11): an accessible combobox of names for a field that stores an id.
 *
 * Markup (designer.html#picker-field): a [data-picker] block holding a
 * [data-picker-search] combobox input, its [data-picker-list] listbox of
 * role=option items (data-value: what is stored, data-name: what is shown)
 * and, for id fields, the form's own id input (what is saved). For a sales
 * stage the combobox is the field itself (data-picker-by-name).
 *
 * Keyboard (WAI-ARIA combobox with listbox popup): typing filters by any part
 * of the name or the id; Down/Up open the list and move the active option
 * (aria-activedescendant, focus stays in the input); Enter picks it; Escape
 * closes the list (a second Escape is the form's: cancel); Tab leaves with
 * the value as it is. A click picks too. Typing an id in the id field shows
 * its name, or says the catalogue does not know it — the id is kept either way.
 *
 * Listeners sit on the document (capture phase for keys, so Enter and Escape
 * on an open list are not also the designer form's save and cancel), so forms
 * swapped in by htmx need no set-up. No inline styles: `hidden` only (CSP).
 */
(function () {
  "use strict";

  const SEARCH = "[data-picker-search]";

  function parts(element) {
    const root = element.closest("[data-picker]");
    if (!root) return null;
    return {
      root,
      search: root.querySelector(SEARCH),
      list: root.querySelector("[data-picker-list]"),
      none: root.querySelector("[data-picker-none]"),
      status: root.querySelector("[data-picker-status]"),
      idInput: root.hasAttribute("data-picker-by-name") ? null : root.querySelector(".picker-id input"),
      options: Array.from(root.querySelectorAll("[role=option]:not([data-picker-none])")),
    };
  }

  const visible = (p) => p.options.filter((option) => !option.hidden);
  const active = (p) => p.options.find((option) => option.getAttribute("aria-selected") === "true") || null;

  function open(p) {
    if (!p.list) return;
    p.list.hidden = false;
    p.search.setAttribute("aria-expanded", "true");
  }

  function close(p) {
    if (!p.list) return;
    p.list.hidden = true;
    p.search.setAttribute("aria-expanded", "false");
    p.search.removeAttribute("aria-activedescendant");
    p.options.forEach((option) => option.setAttribute("aria-selected", "false"));
  }

  function filter(p) {
    const words = p.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    p.options.forEach((option) => {
      const text = `${option.dataset.name} ${option.dataset.value} ${option.textContent}`.toLowerCase();
      option.hidden = !words.every((word) => text.includes(word));
      if (!option.hidden) shown += 1;
      option.setAttribute("aria-selected", "false");
    });
    if (p.none) p.none.hidden = shown > 0;
    p.search.removeAttribute("aria-activedescendant");
  }

  function highlight(p, option) {
    p.options.forEach((other) => other.setAttribute("aria-selected", other === option ? "true" : "false"));
    if (option) {
      p.search.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      p.search.removeAttribute("aria-activedescendant");
    }
  }

  function setStatus(p, text, unknown) {
    if (!p.status) return;
    p.status.textContent = "";
    if (!text) return;
    const span = document.createElement("span");
    if (unknown) span.className = "ref-unknown";
    span.textContent = text;
    p.status.appendChild(span);
  }

  function pick(p, option) {
    if (p.idInput) {
      p.idInput.value = option.dataset.value;
      p.search.value = option.dataset.name;
      setStatus(p, `${option.dataset.name} (id ${option.dataset.value})`, false);
    } else {
      p.search.value = option.dataset.value;
      setStatus(p, "", false);
    }
    close(p);
    p.search.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // The id field changed by hand: name it, or say the catalogue does not know it (it is kept).
  function describeId(p) {
    const value = p.idInput.value.trim();
    const option = p.options.find((candidate) => candidate.dataset.value === value);
    if (!value) {
      p.search.value = "";
      setStatus(p, "", false);
    } else if (option) {
      p.search.value = option.dataset.name;
      setStatus(p, `${option.dataset.name} (id ${value})`, false);
    } else {
      p.search.value = "";
      setStatus(p, `Id ${value} is not in the catalogue; it is kept as it is.`, true);
    }
  }

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    const p = parts(target);
    if (!p) return;
    if (target.matches(SEARCH)) {
      filter(p);
      open(p);
    } else if (target === p.idInput) {
      describeId(p);
    }
  });

  document.addEventListener(
    "keydown",
    (event) => {
      const target = event.target;
      if (!(target instanceof HTMLInputElement) || !target.matches(SEARCH)) return;
      const p = parts(target);
      if (!p || !p.list) return;
      const shown = visible(p);
      const current = active(p);
      const isOpen = !p.list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopPropagation();
        if (!isOpen) {
          filter(p);
          open(p);
        }
        const list = visible(p);
        if (!list.length) return;
        const index = current ? list.indexOf(current) : -1;
        const next =
          event.key === "ArrowDown"
            ? list[Math.min(index + 1, list.length - 1)]
            : list[index <= 0 ? list.length - 1 : index - 1];
        highlight(p, next);
      } else if (event.key === "Enter" && isOpen && !event.ctrlKey && !event.metaKey) {
        const chosen = current || (shown.length === 1 ? shown[0] : null);
        if (chosen) {
          event.preventDefault();
          event.stopPropagation();
          pick(p, chosen);
        }
      } else if (event.key === "Escape" && isOpen) {
        event.preventDefault();
        event.stopPropagation();
        close(p);
      } else if (event.key === "Tab" && isOpen) {
        close(p);
      }
    },
    true,
  );

  document.addEventListener("mousedown", (event) => {
    const option = event.target instanceof Element ? event.target.closest("[data-picker-list] [role=option]") : null;
    if (!option || option.hasAttribute("data-picker-none")) return;
    event.preventDefault(); // keep the focus in the input
    const p = parts(option);
    if (p) pick(p, option);
  });

  document.addEventListener("focusout", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.matches(SEARCH)) return;
    const p = parts(target);
    if (p && !p.root.contains(event.relatedTarget)) close(p);
  });
})();
