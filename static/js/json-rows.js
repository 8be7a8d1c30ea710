/* Attribute/value rows of a step's JSON settings (Field update, Success criteria).
 *
 * The rows are ordinary form fields the server renders and reads (with one
 * blank row to fill in), so saving needs nothing from here. This adds:
 * - "Add row": a copy of the setting's <template> row with the next free index
 *   (indexes may have gaps: the server reads them in order), focused;
 * - "Remove": drops the row and moves the focus to the row that takes its place;
 * - row numbers in the labels, so a screen reader says which row a field is in;
 * - the focus back on the editor radio after switching Rows / JSON (the server
 *   re-renders the form), and on the rows when a problem link aims at the
 *   hidden JSON text area.
 * CSP: no inline script or style; which editor shows is CSS's business (the class
 * "json-js" on <html> says a script is here to ask the server for the switch).
 */
(function () {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  let refocus = ""; // id of the element to focus after the form comes back
  // Editors switch on the server's answer, not on the radio alone (see app.css).
  document.documentElement.classList.add("json-js");

  function hidden(element) {
    return element.getClientRects().length === 0;
  }

  function firstRowInput(setting) {
    return $("[data-json-row-list] [data-json-row] input[type=text]", setting);
  }

  function renumber(list) {
    $$("[data-json-row]", list).forEach((row, position) => {
      const n = position + 1;
      $$("label[data-label]", row).forEach((label) => {
        label.textContent = `${label.dataset.label}, row ${n}`;
      });
      const remove = $("[data-json-remove-row]", row);
      remove?.setAttribute("aria-label", `${remove.dataset.label} ${n}`);
    });
  }

  function nextIndex(list) {
    let max = -1;
    $$("[data-json-row] input[name$='-attribute']", list).forEach((input) => {
      const match = input.name.match(/-(\d+)-attribute$/);
      if (match) max = Math.max(max, Number(match[1]));
    });
    return max + 1;
  }

  function isBlank(row) {
    return $$("input[type=text]", row).every((input) => input.value.trim() === "");
  }

  function addRow(setting) {
    const list = $("[data-json-row-list]", setting);
    const rows = $$("[data-json-row]", list);
    const last = rows[rows.length - 1];
    if (last && isBlank(last)) {
      // The blank row is already there to be filled in: no second one.
      $("input[type=text]", last).focus();
      return;
    }
    const template = $("template[data-json-row-template]", setting);
    const index = String(nextIndex(list));
    const row = template.content.firstElementChild.cloneNode(true);
    $$("[id], [for], [name]", row).forEach((element) => {
      for (const attribute of ["id", "for", "name"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replaceAll("__i__", index));
      }
    });
    list.append(row);
    renumber(list);
    $("input[type=text]", row).focus();
  }

  function removeRow(button) {
    const row = button.closest("[data-json-row]");
    const list = row.parentElement;
    const setting = row.closest("[data-json-setting]");
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    if (!$("[data-json-row]", list)) {
      addRow(setting); // never an empty list: the blank row is where the next attribute goes
      return;
    }
    renumber(list);
    const target = next && $("input[type=text]", next);
    (target || $("[data-json-add-row]", setting)).focus();
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-json-add-row]");
    if (add) {
      event.preventDefault();
      addRow(add.closest("[data-json-setting]"));
      return;
    }
    const remove = event.target.closest("[data-json-remove-row]");
    if (remove) {
      event.preventDefault();
      removeRow(remove);
      return;
    }
    const problem = event.target.closest("a[data-problem]");
    if (!problem) return;
    const id = problem.getAttribute("href").slice(1);
    const open = document.getElementById(id);
    if (open && hidden(open) && open.closest("[data-json-setting]")) {
      firstRowInput(open.closest("[data-json-setting]"))?.focus(); // the form is open: rows mode hides the JSON
    } else if (!open) {
      refocus = id; // the form opens first
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-json-mode]")) refocus = event.target.id;
  });

  // Runs after designer.js's own focus handling (this file loads after it), so it has the last word.
  document.addEventListener("htmx:afterSettle", () => {
    if (!refocus) return;
    const wanted = document.getElementById(refocus);
    refocus = "";
    if (!wanted) return;
    const setting = wanted.closest("[data-json-setting]");
    if (hidden(wanted) && setting) {
      firstRowInput(setting)?.focus();
    } else if (wanted.matches("input[data-json-mode]")) {
      wanted.focus();
    }
  });
})();
