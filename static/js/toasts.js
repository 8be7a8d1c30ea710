/* Toasts: the messages of every page, in a viewport-fixed region (base.html), so a confirmation
 * (and the Undo of a deletion) shows where the user is looking, however far down the page.
 *
 * - #messages (role=status, polite) holds saves, moves and deletions; #alerts (role=alert) errors;
 * - a toast goes away by itself after a while, but not while the pointer is on it or the focus
 *   in it (it starts counting again when they leave); an error stays until it is dismissed,
 *   since it says what went wrong and what to do;
 * - its × button or Esc (with the focus in it, or anywhere outside a form, dialog or menu)
 *   dismisses it; the focus goes back to where it was before it entered the toast;
 * - the server's messages arrive through htmx swaps, `orchestratorToasts.show` adds one from script.
 * Loaded on every page with `defer`; nothing here needs htmx.
 */
(function () {
  "use strict";

  const LIFETIME = { plain: 8000, undo: 20000 }; // ms; an Undo is worth more time to reach
  const KEEP = 4; // toasts per region at most: the newest ones
  const timers = new WeakMap();
  let focusBefore = null; // where the focus was before it entered a toast

  const regions = () => Array.from(document.querySelectorAll(".toast-stack"));
  const toasts = () => regions().flatMap((region) => Array.from(region.querySelectorAll("[data-toast]")));

  function lifetime(toast) {
    if (toast.classList.contains("toast-error")) return 0;
    return toast.querySelector("[data-undo]") ? LIFETIME.undo : LIFETIME.plain;
  }

  function held(toast) {
    return toast.matches(":hover") || toast.contains(document.activeElement);
  }

  function arm(toast) {
    clearTimeout(timers.get(toast));
    const ms = lifetime(toast);
    if (!ms) return;
    timers.set(
      toast,
      setTimeout(() => {
        if (held(toast)) return; // leaving the toast arms it again
        dismiss(toast);
      }, ms),
    );
  }

  function dismiss(toast) {
    if (!toast?.isConnected) return;
    const hadFocus = toast.contains(document.activeElement);
    clearTimeout(timers.get(toast));
    toast.remove();
    if (hadFocus) {
      const back = focusBefore?.isConnected ? focusBefore : document.getElementById("main");
      back?.focus();
    }
  }

  function adopt(root) {
    regions().forEach((region) => {
      const found = Array.from(region.querySelectorAll("[data-toast]"));
      found.slice(0, Math.max(0, found.length - KEEP)).forEach(dismiss);
    });
    (root || document).querySelectorAll?.("[data-toast]").forEach((toast) => {
      if (toast.dataset.armed) return;
      toast.dataset.armed = "1";
      arm(toast);
    });
  }

  function show(text, level = "error") {
    const region = document.getElementById(level === "error" ? "alerts" : "messages");
    if (!region) return null;
    const toast = document.createElement("div");
    toast.className = `toast toast-${level}`;
    toast.dataset.toast = "";
    const p = document.createElement("p");
    p.className = "toast-text";
    p.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.dataset.toastClose = "";
    close.setAttribute("aria-label", "Dismiss this message");
    const cross = document.createElement("span");
    cross.setAttribute("aria-hidden", "true");
    cross.textContent = "×";
    close.append(cross);
    toast.append(p, close);
    // One message about the same thing at a time: the newest replaces what the region said.
    region.replaceChildren(toast);
    return toast;
  }

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-toast-close]");
    if (close) dismiss(close.closest("[data-toast]"));
  });
  document.addEventListener("mouseover", (event) => {
    const toast = event.target.closest?.("[data-toast]");
    if (toast) clearTimeout(timers.get(toast));
  });
  document.addEventListener("mouseout", (event) => {
    const toast = event.target.closest?.("[data-toast]");
    if (toast && !toast.contains(event.relatedTarget)) arm(toast);
  });
  document.addEventListener("focusin", (event) => {
    const toast = event.target.closest?.("[data-toast]");
    if (!toast) {
      focusBefore = event.target;
      return;
    }
    clearTimeout(timers.get(toast));
  });
  document.addEventListener("focusout", (event) => {
    const toast = event.target.closest?.("[data-toast]");
    if (toast && !toast.contains(event.relatedTarget)) arm(toast);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const inside = event.target.closest?.("[data-toast]");
    if (inside) {
      event.preventDefault();
      dismiss(inside);
      return;
    }
    // Esc keeps its meaning in forms, dialogs and menus; elsewhere it dismisses the newest toast.
    if (event.target.closest?.("form, dialog[open], [role=menu], input, select, textarea")) return;
    const all = toasts();
    if (all.length) {
      event.preventDefault();
      dismiss(all[all.length - 1]);
    }
  });

  function start() {
    adopt(document);
    // Toasts come in by htmx swaps (out of band), by page loads and from script: watch the regions.
    const observer = new MutationObserver(() => adopt(document.querySelector(".toasts")));
    const container = document.querySelector(".toasts");
    if (container) observer.observe(container, { childList: true, subtree: true });
  }

  window.orchestratorToasts = { show, dismiss };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
