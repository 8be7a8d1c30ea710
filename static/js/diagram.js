/* The Diagram view (issue 11, item 1): moving along the edges with the arrow keys, and the step editor beside
 * the diagram. The step's form is the designer's own (the same endpoint, checks and conflict handling); when
 * it is gone from the editor (saved or cancelled) the stage's diagram is fetched again and the focus returns
 * to the node that opened it. No inline script or style: the strict CSP allows neither. */
(function () {
  "use strict";

  let opener = null; // the node whose form the editor shows

  function nodeIn(section, id) {
    return id ? section.querySelector(`[data-node="${CSS.escape(id)}"]`) : null;
  }

  function firstOf(section, ids) {
    for (const id of (ids || "").split(" ")) {
      const node = nodeIn(section, id);
      if (node) return node;
    }
    return null;
  }

  function sideways(node, step) {
    const section = node.closest(".stage-diagram");
    const row = node.querySelector("rect").getAttribute("y");
    const same = [...section.querySelectorAll("[data-node]")].filter((n) => n.querySelector("rect").getAttribute("y") === row);
    same.sort((a, b) => Number(a.querySelector("rect").getAttribute("x")) - Number(b.querySelector("rect").getAttribute("x")));
    return same[same.indexOf(node) + step] || null;
  }

  document.addEventListener("keydown", (event) => {
    const node = event.target.closest && event.target.closest("[data-node]");
    if (!node || event.altKey || event.ctrlKey || event.metaKey) return;
    const section = node.closest(".stage-diagram");
    let next = null;
    if (event.key === "ArrowDown") next = firstOf(section, node.dataset.out);
    else if (event.key === "ArrowUp") next = firstOf(section, node.dataset.in);
    else if (event.key === "ArrowRight") next = sideways(node, 1);
    else if (event.key === "ArrowLeft") next = sideways(node, -1);
    else return;
    event.preventDefault();
    if (next) next.focus();
  });

  document.addEventListener("click", (event) => {
    const node = event.target.closest && event.target.closest("a[data-node][hx-get]");
    if (node) opener = { stage: node.dataset.stage, id: node.dataset.node };
  });

  // Esc in the editor cancels like the outline's Esc; the form's own Cancel button does the work.
  document.addEventListener("keydown", (event) => {
    const editor = document.getElementById("diagram-editor");
    if (event.key !== "Escape" || !editor || !editor.contains(event.target)) return;
    const cancel = editor.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  function refocus(stageNumber, id) {
    const section = document.getElementById(`diagram-${stageNumber}`);
    const node = section && nodeIn(section, id);
    if (node) node.focus();
  }

  // The last request made from inside the editor: a post that leaves no form behind was a save.
  let lastVerb = "";
  document.addEventListener("htmx:beforeRequest", (event) => {
    const editor = document.getElementById("diagram-editor");
    if (editor && editor.contains(event.detail.elt)) lastVerb = event.detail.requestConfig.verb;
    else if (event.detail.elt.closest && event.detail.elt.closest("a[data-node]")) lastVerb = "open";
  });

  document.addEventListener("htmx:afterSettle", () => {
    const editor = document.getElementById("diagram-editor");
    if (!editor || editor.dataset.idle === "true" && lastVerb !== "open") return;
    const form = editor.querySelector("form");
    if (form) {
      editor.dataset.idle = "false";
      lastVerb = "";
      const field = form.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea");
      if (field) field.focus();
      return;
    }
    // Saved or cancelled: the form's place now holds the outline's row, which belongs to the outline.
    const saved = lastVerb === "post";
    lastVerb = "";
    editor.dataset.idle = "true";
    editor.replaceChildren();
    const note = document.createElement("p");
    note.className = saved ? "diagram-saved" : "muted";
    note.setAttribute("role", "status");
    note.textContent = saved ? "Saved. The diagram shows the change." : "Choose a step in the diagram to edit it here.";
    editor.append(note);
    if (!opener) return;
    const { stage, id } = opener;
    const section = document.getElementById(`diagram-${stage}`);
    if (saved && section) {
      // The stage's diagram comes back with the edit in it; the focus goes back where the user was.
      // Not on the ajax promise: it resolves at the swap, before htmx has processed the new nodes, and an
      // Enter on a node focused then follows its plain link away from the diagram. htmx:load comes after.
      const onLoad = (loaded) => {
        if (loaded.target.id !== `diagram-${stage}`) return;
        document.removeEventListener("htmx:load", onLoad);
        refocus(stage, id);
      };
      document.addEventListener("htmx:load", onLoad);
      htmx.ajax("GET", section.dataset.refresh, { target: section, swap: "outerHTML" });
    } else {
      refocus(stage, id);
    }
  });
})();
