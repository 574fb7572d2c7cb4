// The assessor's review page: keyboard operation of flags and details (no inline scripts: CSP).
// j / k next / previous item, c confirm, o override (or choose another status), e comment,
// v open the item's evidence in the viewer, ? show the key list. No key acts while typing in a
// text field, select or editable element; Esc leaves a comment field back to its item.
(function () {
  "use strict";
  let current = null; // the id of the current item

  const items = () => Array.from(document.querySelectorAll("[data-item]"));
  const announce = (text) => {
    const live = document.getElementById("announce");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 30);
  };
  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  function describe(el) {
    const list = items();
    return `${el.dataset.label} (${list.indexOf(el) + 1} of ${list.length}): ${el.dataset.state}.`;
  }
  function select(el, focus = true) {
    document.querySelectorAll("[data-item].current").forEach((x) => x.classList.remove("current"));
    if (!el) { current = null; return; }
    el.classList.add("current");
    current = el.id;
    if (focus) {
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    const list = items();
    if (!list.length) return;
    const at = list.findIndex((x) => x.id === current);
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    select(list[next]);
    announce(describe(list[next]));
  }
  const currentItem = () => (current && document.getElementById(current)) || null;

  function act(kind) {
    const el = currentItem();
    if (!el) { announce("No item chosen: press j to go to the first."); return; }
    const target = el.querySelector(`[data-act="${kind}"]`);
    if (!target) { announce("You cannot decide here: claim the submission first."); return; }
    if (target.tagName === "SELECT") { target.focus(); announce("Choose the status, then Save status."); return; }
    target.click();
  }

  function showKeys() {
    const box = document.getElementById("keys");
    if (!box) return;
    box.scrollIntoView({ block: "nearest" });
    box.focus();
    box.classList.add("flash");
    window.setTimeout(() => box.classList.remove("flash"), 1500);
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === "Escape" && e.target.closest("[data-item]")) {
        e.preventDefault();
        select(e.target.closest("[data-item]"));
      }
      return;
    }
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "c": act("confirm"); break;
      case "o": act("override"); break;
      case "e": {
        const el = currentItem();
        const box = el && el.querySelector("[data-comment]");
        if (box) box.focus(); else announce("No comment field here.");
        break;
      }
      case "v": {
        const el = currentItem();
        const link = el && el.querySelector("[data-evidence]");
        if (link) { link.click(); announce(`Opening ${link.textContent.trim()} in the viewer.`); }
        else announce("This item cites no place in a file.");
        break;
      }
      case "?": showKeys(); break;
      default: return;
    }
    e.preventDefault();
  });

  // A click on an item makes it the current one.
  document.addEventListener("click", (e) => {
    const el = e.target.closest && e.target.closest("[data-item]");
    if (el && el.id !== current) select(el, false);
  });

  // After a decision the item comes back from the server (a new element with the same id):
  // keep it current, with the focus on it, and say what changed.
  document.addEventListener("htmx:afterSettle", () => {
    if (!current) return;
    const el = document.getElementById(current);
    if (!el) { current = null; return; }
    if (el.classList.contains("current")) return; // not the item that was swapped
    const wasInside = document.activeElement === document.body || !document.activeElement;
    el.classList.add("current");
    if (wasInside) el.focus({ preventScroll: true });
    const err = el.querySelector(".field-error");
    announce(err ? err.textContent : `${el.dataset.label}: ${el.dataset.state}.`);
  });
})();
