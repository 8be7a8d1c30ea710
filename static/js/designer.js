/* Orchestrator designer: what htmx attributes cannot say on their own.
 *
 * - focus after swaps (the server names the element in HX-Trigger-After-Settle),
 *   first field of a freshly opened form, first invalid field after a 422;
 * - dialogs (delete confirmation, new orchestration, keyboard help);
 * - keyboard shortcuts (see the help dialog in designer.html);
 * - reordering: SortableJS drags, move buttons and Alt+arrow keys all move the
 *   row in the page and post the list's full new order to the same endpoint;
 * - problem links that open the right form and focus the field concerned;
 * - bulk selection counts (the bar shows only while something is ticked);
 * - stages that collapse (kept in localStorage) and the stage jump list;
 * - each row's buttons (Edit and a "⋯" menu button), copied from the page's one <template id="row-actions">,
 *   and the one row menu (move up, move down, delete) they open;
 * - the revision of the problems on screen, sent with every request so the
 *   server answers only the badges and panel that differ from it.
 * After a request, whatever its swaps, the work above runs once, and only the
 * lists the response touched are renumbered.
 * No build step: plain ES2020, loaded with `defer` after htmx.
 */
(function () {
  "use strict";

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const designer = () => $(".designer");
  const editable = () => designer()?.hasAttribute("data-editable");
  let pendingFocus = ""; // element id to focus once the form that contains it arrives

  function focusElement(element) {
    if (!element) return false;
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
    element.scrollIntoView({ block: "nearest" });
    return document.activeElement === element;
  }

  function say(text, level = "error") {
    window.orchestratorToasts?.show(text, level); // static/js/toasts.js, loaded by base.html
  }

  // ---------------------------------------------------------------- server events

  document.addEventListener("designer:closeModal", () => {
    const modal = document.getElementById("modal");
    if (modal?.open) modal.close();
  });
  document.addEventListener("designer:focus", (event) => {
    focusElement($(event.detail.target));
  });

  // ---------------------------------------------------------------- dialogs

  function openDialog(dialog, opener) {
    if (!dialog || dialog.open) return;
    dialog.opener = opener && opener !== document.body ? opener : null;
    dialog.showModal();
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    const dialog = event.detail.target.closest?.("dialog");
    if (dialog && event.detail.target.childElementCount) openDialog(dialog, event.detail.requestConfig?.elt);
  });
  // A closed dialog must not keep the focus: give it back to whatever opened it (or the page).
  document.addEventListener("close", (event) => {
    const dialog = event.target;
    if (dialog.id === "modal") $("#modal-body").replaceChildren();
    if (dialog.contains(document.activeElement) || document.activeElement === document.body) {
      if (!(dialog.opener?.isConnected && focusElement(dialog.opener))) focusElement($("#main"));
    }
  }, true);
  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-modal], [data-close-dialog], [data-close-help]");
    if (closer) closer.closest("dialog")?.close();
    const helpButton = event.target.closest("[data-open-help]");
    if (helpButton) openDialog($("#help"), helpButton);
  });

  // ---------------------------------------------------------------- row buttons

  // The server renders each row's buttons once for the page (a <template>); every row carries an empty
  // span[data-actions] with its kind and label. URLs are filled in only for a number the models accept.
  const SAFE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  const RESERVED = new Set(["new", "reorder", "bulk"]);

  function addRowActions(root) {
    const template = document.getElementById("row-actions");
    if (!template || !root.querySelectorAll) return;
    const spans = root.matches("span[data-actions]") ? [root] : [];
    spans.push(...root.querySelectorAll("span[data-actions]"));
    spans.forEach((span) => {
      if (span.childElementCount) return;
      const kind = span.dataset.actions;
      const label = span.dataset.label;
      const number = span.closest("li.item")?.dataset.number || "";
      const safe = !span.hasAttribute("data-no-urls") && SAFE_NUMBER.test(number) && !RESERVED.has(number.toLowerCase());
      const buttons = template.content.cloneNode(true);
      const [edit, more] = buttons.children;
      edit.id = `${kind}-${number}-edit`;
      edit.setAttribute("aria-label", `Edit ${label}`);
      more.id = `${kind}-${number}-more`;
      more.setAttribute("aria-label", `More actions for ${label}`);
      if (safe) {
        edit.dataset.url = template.getAttribute(`data-edit-${kind}`).replace("ITEM-NUMBER", number);
        edit.dataset.target = `#${kind}-${number}-main`;
        more.dataset.deleteUrl = template.getAttribute(`data-delete-${kind}`).replace("ITEM-NUMBER", number);
      }
      span.append(buttons);
    });
  }

  // The copied buttons ask htmx themselves (one listener for the page instead of one per button).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-row-action]");
    if (!button?.dataset.url) return;
    htmx.ajax("GET", button.dataset.url, { source: button, target: button.dataset.target, swap: "outerHTML" });
  });

  // The confirmation dialog gives the focus back to the row's menu button when it closes.
  function askDelete(row) {
    const more = row && $("[data-row-menu]", row);
    if (!more?.dataset.deleteUrl) return;
    htmx.ajax("GET", more.dataset.deleteUrl, { source: more, target: "#modal-body", swap: "innerHTML" });
  }

  // ---------------------------------------------------------------- the row menu

  // One menu for the page (designer.html#row-menu), opened beside the row's "⋯" button: a menu button
  // as the ARIA practices describe it. Enter, Space or ↓ opens it on its first item (↑ on the last),
  // ↑/↓/Home/End move, Enter or Space acts, Esc or Tab closes it and the focus is back on the button.
  const rowMenu = () => document.getElementById("row-menu");
  let menuOwner = null; // the "⋯" button the menu is open for

  function menuItems() {
    return $$("[role=menuitem]", rowMenu());
  }

  function openMenu(button, last = false) {
    const menu = rowMenu();
    if (!menu) return;
    if (menuOwner) closeMenu(false);
    const item = button.closest("li.item");
    menuOwner = button;
    button.setAttribute("aria-expanded", "true");
    menu.setAttribute("aria-labelledby", button.id);
    const [up, down, remove] = menuItems();
    const disable = (element, off) => element.setAttribute("aria-disabled", off ? "true" : "false");
    disable(up, !item?.previousElementSibling?.matches("li.item"));
    disable(down, !item?.nextElementSibling?.matches("li.item"));
    disable(remove, !button.dataset.deleteUrl);
    menu.hidden = false;
    placeMenu(menu, button);
    const items = menuItems();
    (last ? items[items.length - 1] : items[0]).focus();
  }

  // Beside the button, right-aligned; above it when there is no room below. The menu is outside the
  // stages (whose off-screen layout the browser skips, and which would clip it), so it is positioned
  // in the designer's coordinates; CSSOM properties, which the style policy allows.
  function placeMenu(menu, button) {
    const box = designer().getBoundingClientRect();
    const at = button.getBoundingClientRect();
    const height = menu.offsetHeight;
    const below = at.bottom + height + 4 <= window.innerHeight;
    menu.style.top = `${(below ? at.bottom + 2 : at.top - height - 2) - box.top}px`;
    menu.style.left = `${Math.max(0, at.right - menu.offsetWidth - box.left)}px`;
  }

  function closeMenu(refocus = true) {
    const menu = rowMenu();
    const owner = menuOwner;
    menuOwner = null;
    if (menu) menu.hidden = true;
    if (!owner) return;
    owner.setAttribute("aria-expanded", "false");
    if (refocus && owner.isConnected) owner.focus();
  }

  document.addEventListener("click", (event) => {
    const more = event.target.closest("button[data-row-menu]");
    if (more) {
      if (menuOwner === more) closeMenu();
      else openMenu(more);
      return;
    }
    const choice = event.target.closest("#row-menu [role=menuitem]");
    if (choice) {
      if (choice.getAttribute("aria-disabled") === "true" || !menuOwner) return;
      const owner = menuOwner;
      const item = owner.closest("li.item");
      closeMenu();
      const action = choice.dataset.menuAction;
      if (action === "delete") askDelete(owner.closest(".row"));
      else if (item) move(item, action === "up" ? -1 : 1);
      return;
    }
    if (menuOwner && !event.target.closest("#row-menu")) closeMenu(false);
  });

  function menuKeys(event) {
    const items = menuItems();
    const index = items.indexOf(document.activeElement);
    const go = (to) => items[(to + items.length) % items.length].focus();
    if (event.key === "ArrowDown") go(index + 1);
    else if (event.key === "ArrowUp") go(index - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(items.length - 1);
    else if (event.key === "Escape" || event.key === "Tab") closeMenu();
    else return;
    event.preventDefault();
  }

  // ---------------------------------------------------------------- the problems on screen

  document.addEventListener("htmx:configRequest", (event) => {
    const revision = document.getElementById("last-changed")?.dataset.revision;
    if (revision) event.detail.headers["X-Designer-Revision"] = revision;
  });

  // ---------------------------------------------------------------- after a request's swaps

  // Lists whose rows a response replaced, added or removed: noted before each swap (a removed row
  // cannot say afterwards where it was), renumbered once after all of them.
  const touched = new Set();
  function noteTouched(element) {
    if (!element?.closest) return;
    const list = element.closest("ol.stages, ol.items");
    if (list) touched.add(list);
    element.querySelectorAll?.("ol.stages, ol.items").forEach((inner) => touched.add(inner));
  }
  document.addEventListener("htmx:beforeSwap", (event) => noteTouched(event.detail.target));
  document.addEventListener("htmx:oobBeforeSwap", (event) => noteTouched(event.detail.target));
  document.addEventListener("htmx:oobAfterSwap", (event) => noteTouched(event.detail.target));
  document.addEventListener("htmx:afterSwap", (event) => noteTouched(event.detail.target));

  // One response settles each swapped element in turn, in one go: do the work on the first, once.
  let settled = null;
  document.addEventListener("htmx:afterSettle", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr === settled) return;
    settled = xhr || null;
    afterSwaps();
  });

  function afterSwaps() {
    if (pendingFocus) {
      const wanted = document.getElementById(pendingFocus);
      const form = $("form.item-form[data-autofocus]");
      pendingFocus = "";
      if (wanted && focusElement(wanted)) {
        form?.removeAttribute("data-autofocus");
        finishSwaps();
        return;
      }
    }
    const invalid = $("form[data-invalid]");
    if (invalid) {
      invalid.removeAttribute("data-invalid");
      focusElement($("[aria-invalid=true]", invalid) || $(".form-error", invalid));
    }
    const opened = $("form.item-form[data-autofocus]");
    if (opened) {
      opened.removeAttribute("data-autofocus");
      focusElement($(".fields input:not([type=hidden]), .fields select, .fields textarea", opened));
    }
    const conflict = $("form.item-form .conflict");
    if (conflict && !conflict.dataset.seen) {
      conflict.dataset.seen = "1";
      focusElement($("button[type=submit]", conflict.closest("form")));
    }
    finishSwaps();
  }

  function finishSwaps() {
    if (menuOwner && !menuOwner.isConnected) closeMenu(false);
    updateBulkCounts();
    renumber(touched);
    if (touched.has(document.getElementById("stages"))) rebuildJumpList();
    touched.clear();
  }

  // ---------------------------------------------------------------- reordering

  // Positions shown in the rows follow the order on screen (after a drag, a move or a deletion).
  function renumber(lists) {
    lists.forEach((list) => {
      if (!list.isConnected) return;
      Array.from(list.children).forEach((item, index) => {
        const counter = document.getElementById(`${item.id}-main`)?.querySelector(".counter");
        if (!counter) return;
        counter.textContent = list.classList.contains("stages") || item.classList.contains("task")
          ? String(index + 1)
          : `${index + 1}.`;
      });
    });
  }

  function saveOrder(list, movedNumber) {
    renumber([list]);
    if (list.id === "stages") rebuildJumpList();
    const form = document.getElementById(list.dataset.reorderForm);
    if (!form) return;
    form.querySelector("[name=moved]").value = movedNumber || "";
    htmx.trigger(form, "reorder");
  }

  function move(item, direction) {
    const sibling = direction < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling || !sibling.matches("li.item")) return;
    const active = document.activeElement;
    item.parentElement.insertBefore(direction < 0 ? item : sibling, direction < 0 ? sibling : item);
    if (active && item.contains(active)) active.focus();
    saveOrder(item.parentElement, item.dataset.number);
  }

  function initSortables(root) {
    if (!window.Sortable) return;
    const lists = root.matches?.("[data-sortable]") ? [root] : [];
    lists.concat($$("[data-sortable]", root)).forEach((list) => {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      window.Sortable.create(list, {
        handle: ".drag-handle",
        animation: 120,
        forceFallback: true, // pointer events rather than native drag: steadier across browsers
        onEnd: (event) => {
          if (event.oldIndex !== event.newIndex) saveOrder(list, event.item.dataset.number);
        },
      });
    });
  }

  // ---------------------------------------------------------------- collapsing stages, the jump list

  // Which stages are collapsed is this browser's view of this orchestration (localStorage), so it
  // survives a reload and never makes the server render a stage differently (its markup is cached).
  const collapsedKey = () => `orchestrator:collapsed:${designer()?.dataset.number}`;
  function collapsedSet() {
    try {
      return new Set(JSON.parse(localStorage.getItem(collapsedKey()) || "[]"));
    } catch {
      return new Set();
    }
  }
  function keepCollapsed(set) {
    try {
      localStorage.setItem(collapsedKey(), JSON.stringify([...set]));
    } catch {
      // storage full or refused: the stage still collapses, only not after a reload
    }
  }

  function showStage(stage, open) {
    const body = document.getElementById(`${stage.id}-body`);
    const toggle = document.getElementById(`${stage.id}-toggle`);
    if (!body || !toggle) return;
    body.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    stage.classList.toggle("collapsed", !open);
    // A collapsed stage still says how much it holds (its rows cannot change while it is closed).
    let summary = document.getElementById(`${stage.id}-summary`);
    if (open) {
      summary?.remove();
      return;
    }
    const count = (id, word) => {
      const n = document.getElementById(id)?.childElementCount || 0;
      return `${n} ${word}${n === 1 ? "" : "s"}`;
    };
    if (!summary) {
      summary = document.createElement("span");
      summary.id = `${stage.id}-summary`;
      summary.className = "collapsed-summary";
      toggle.closest(".stage-bar").append(summary);
    }
    const number = stage.dataset.number;
    summary.textContent = `${count(`objectives-${number}`, "objective")} · ${count(`steps-${number}`, "step")}`;
  }

  function setCollapsed(stages, collapsed) {
    const set = collapsedSet();
    stages.forEach((stage) => {
      showStage(stage, !collapsed);
      if (collapsed) set.add(stage.dataset.number);
      else set.delete(stage.dataset.number);
    });
    keepCollapsed(set);
  }

  function applyCollapsed(root) {
    if (!root.querySelectorAll) return;
    const stages = root.matches("li.stage") ? [root] : $$("li.stage", root);
    if (!stages.length) return;
    const set = collapsedSet();
    if (set.size) stages.forEach((stage) => set.has(stage.dataset.number) && showStage(stage, false));
  }

  // Whatever is asked for inside a collapsed stage (a problem link, an address's #anchor) opens it first.
  function reveal(element) {
    const stage = element?.closest?.("li.stage.collapsed");
    if (stage && !element.matches(`#${stage.id}, #${stage.id}-toggle`)) setCollapsed([stage], false);
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-stage-toggle]");
    if (toggle) {
      const stage = toggle.closest("li.stage");
      setCollapsed([stage], toggle.getAttribute("aria-expanded") === "true");
      return;
    }
    const all = event.target.closest("[data-collapse-all]");
    if (all) {
      setCollapsed($$("#stages > li.stage"), all.dataset.collapseAll === "collapse");
      return;
    }
    const jump = event.target.closest("a[data-jump]");
    if (jump) {
      const stage = document.getElementById(jump.getAttribute("href").slice(1));
      if (!stage) return;
      event.preventDefault();
      history.replaceState(null, "", `#${stage.id}`);
      const toggle = document.getElementById(`${stage.id}-toggle`);
      toggle?.focus({ preventScroll: true });
      stage.scrollIntoView({ block: "start" });
    }
  });

  // The jump list follows the stages on screen: rebuilt after a response touched the stage list.
  function stageName(stage, old) {
    const title = document.getElementById(`${stage.id}-title`);
    if (!title) return old.get(stage.id) || ""; // being edited: the name it had
    return Array.from(title.childNodes)
      .filter((node) => !node.classList?.contains("position"))
      .map((node) => node.textContent)
      .join("")
      .trim();
  }
  function rebuildJumpList() {
    const list = document.getElementById("stage-jump-list");
    if (!list) return;
    const old = new Map($$("a[data-jump]", list).map((a) => [a.getAttribute("href").slice(1), a.dataset.name]));
    const items = $$("#stages > li.stage").map((stage, index) => {
      const name = stageName(stage, old);
      const a = document.createElement("a");
      a.href = `#${stage.id}`;
      a.dataset.jump = "";
      a.dataset.name = name;
      a.textContent = `${index + 1}. ${name}`;
      const li = document.createElement("li");
      li.append(a);
      return li;
    });
    list.replaceChildren(...items);
  }

  // ---------------------------------------------------------------- problem links

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-problem]");
    if (!link) return;
    event.preventDefault();
    const anchor = link.getAttribute("href").slice(1);
    reveal(document.getElementById(anchor) || document.getElementById(link.dataset.object));
    if (focusElement(document.getElementById(anchor))) return;
    const objectId = link.dataset.object;
    const edit = document.getElementById(`${objectId}-edit`);
    if (link.dataset.field && edit) {
      pendingFocus = anchor;
      edit.click();
      return;
    }
    focusElement(document.getElementById(objectId));
  });

  // ---------------------------------------------------------------- bulk selection

  // The bar shows only while something is ticked, with only the forms of the kinds ticked (a form that
  // came back with an error stays until it is read).
  function updateBulkCounts() {
    let shown = 0;
    $$("[data-bulk-form]").forEach((form) => {
      const kind = form.dataset.bulkForm;
      const count = $$(`input[data-bulk="${kind}"]:checked`).length;
      const noun = kind === "steps" ? "step" : "step task";
      $("[data-bulk-count]", form).textContent = `${count} ${noun}${count === 1 ? "" : "s"} selected.`;
      form.hidden = count === 0 && !$(".form-error", form);
      if (!form.hidden) shown += 1;
    });
    const bar = $(".bulk-bar");
    if (bar) bar.hidden = shown === 0;
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-bulk]")) updateBulkCounts();
  });

  // ---------------------------------------------------------------- keyboard

  function ownRow(item) {
    return document.getElementById(`${item.id}-main`);
  }

  function typing(target) {
    return target.matches("textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio])");
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.closest?.("#row-menu")) {
      menuKeys(event);
      return;
    }
    const plainArrow = !event.altKey && !event.ctrlKey && !event.metaKey && ["ArrowDown", "ArrowUp"].includes(event.key);
    if (plainArrow && target.matches?.("button[data-row-menu]")) {
      event.preventDefault();
      openMenu(target, event.key === "ArrowUp");
      return;
    }
    const form = target.closest?.("form.item-form");
    if (event.key === "Escape" && form && !target.closest("dialog[open]")) {
      event.preventDefault();
      $("[data-cancel]", form)?.click();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (!designer() || target.closest("dialog[open]") || typing(target)) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "z") {
      const undo = $("#messages [data-undo]");
      if (undo) {
        event.preventDefault();
        undo.click();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey) return;
    const item = form ? null : target.closest("li.item");

    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      if (item && editable()) {
        event.preventDefault();
        move(item, event.key === "ArrowUp" ? -1 : 1);
      }
      return;
    }
    if (event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      openDialog($("#help"), document.activeElement);
    } else if (event.key === "p") {
      event.preventDefault();
      focusElement($("#problems a[data-problem]") || $("#problems-title"));
    } else if (!editable() || form) {
      return;
    } else if (event.key === "n") {
      event.preventDefault();
      const scope = target.closest("[data-add-scope]");
      const add = scope ? $(":scope > .add-slot [data-add]", scope) : $(".outline > .add-slot [data-add]");
      add?.click();
    } else if (event.key === "e" && item) {
      event.preventDefault();
      $("[data-edit]", ownRow(item))?.click();
    } else if (event.key === "Delete" && item) {
      event.preventDefault();
      askDelete(ownRow(item));
    }
  });

  // ---------------------------------------------------------------- errors

  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    const reason =
      status === 403
        ? "This change was refused: your role may not make it, the orchestration is archived, or the page is out of date (reload it). Nothing you typed was sent away."
        : status === 404
          ? "This no longer exists; reload the page to see the current orchestration."
          : `The server could not handle this (error ${status}). Nothing was lost: your edit is still here.`;
    say(reason);
  });
  // A session that ended meanwhile answers with the login page (the redirect is followed by the
  // browser): never swap that into the outline, keep what the user typed and say what happened.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const url = event.detail.xhr.responseURL || "";
    if (url.includes("/accounts/login/")) {
      event.detail.shouldSwap = false;
      say("Your session has ended. Sign in again in another tab, then save again: your edit is still here.");
    }
  });
  document.addEventListener("htmx:sendError", () => {
    say("The server cannot be reached. Nothing was lost: try again in a moment.");
  });

  // ---------------------------------------------------------------- start

  function start() {
    // htmx wires up swapped-in content when it settles; with the default 20 ms delay a fast
    // Enter could submit a freshly swapped form natively. We use no settle transitions.
    htmx.config.defaultSettleDelay = 0;
    htmx.onLoad(addRowActions);
    htmx.onLoad(initSortables);
    htmx.onLoad(applyCollapsed);
    updateBulkCounts();
    // Once htmx has wired up the page (its first load event is the body's): the address's anchor.
    htmx.onLoad((root) => {
      if (root === document.body) openAddress();
    });
  }

  function openAddress() {
    const wanted = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (wanted?.matches(".add-slot") && editable()) {
      // "Create and open" lands here (#new-stage-…): the first stage's form opens with the focus in its
      // first field. The address forgets it, so a reload does not open the form again.
      history.replaceState(null, "", location.pathname + location.search);
      $("[data-add]", wanted)?.click();
    } else if (wanted) {
      reveal(wanted);
      wanted.scrollIntoView({ block: "start" });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
