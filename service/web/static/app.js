// Behaviour shared by every page. No build step, no inline scripts (the pages' CSP forbids them).
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // htmx requests carry the CSRF token in a header, so no form needs a hidden field for it.
  document.addEventListener("htmx:configRequest", (e) => { e.detail.headers["X-CSRF-Token"] = csrf(); });

  // --- live word counts: <textarea data-min-words="1000" data-count="id-of-output"> -----------
  // Counted by the screener's rule (screening/wordcount.py, docs/word-count.md): a run between
  // whitespace or en/em dashes holding a letter or digit. So the number a candidate sees here is
  // the number the report will give.
  const SEP = /[\s\u2013\u2014\u2015]+/u, ALNUM = /[\p{L}\p{N}]/u;
  function countWords(text) { return text.split(SEP).filter((t) => t && ALNUM.test(t)).length; }
  function updateCount(area) {
    const out = document.getElementById(area.dataset.count);
    if (!out) return;
    const n = countWords(area.value), min = parseInt(area.dataset.minWords || "0", 10);
    const short = min > 0 && n < min;
    out.textContent = min > 0 ? `${n} words of the ${min} minimum` + (short ? ` (${min - n} to go)` : " ✓") : `${n} words`;
    out.classList.toggle("status-missing", short);
    out.classList.toggle("status-met", !short && min > 0);
    const bar = document.getElementById(area.dataset.count + "-bar");
    if (bar && min > 0) bar.style.width = Math.min(100, (100 * n) / min) + "%";
  }
  function bindCounts(root) {
    root.querySelectorAll("textarea[data-count]").forEach((area) => {
      if (area.dataset.bound) return;
      area.dataset.bound = "1";
      area.addEventListener("input", () => updateCount(area));
      updateCount(area);
    });
  }

  // --- uploads with progress: <form data-upload data-target="#files"> with a file input ------
  // Sent with XMLHttpRequest because fetch() reports no upload progress. Each file goes on its
  // own, so one refused file (too large, wrong type) never loses the others.
  function bindUploads(root) {
    root.querySelectorAll("form[data-upload]").forEach((form) => {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      const input = form.querySelector('input[type="file"]');
      const zone = form.querySelector(".dropzone");
      const status = form.querySelector("[data-upload-status]");
      const send = (files) => {
        const queue = Array.from(files);
        if (!queue.length) return;
        status.innerHTML = "";
        const next = () => {
          const file = queue.shift();
          if (!file) { refresh(form); return; }
          const line = document.createElement("div");
          const label = document.createElement("label");
          const bar = document.createElement("progress");
          const id = "up-" + Math.random().toString(36).slice(2);
          bar.id = id; bar.max = 100; bar.value = 0;
          label.htmlFor = id; label.textContent = `Uploading ${file.name}`;
          line.append(label, bar);
          status.append(line);
          const data = new FormData();
          data.append("file", file, file.name);
          form.querySelectorAll("select, input[type=hidden], input[type=radio]:checked").forEach((el) => {
            if (el.name && el.name !== "csrf") data.append(el.name, el.value);
          });
          const xhr = new XMLHttpRequest();
          xhr.open("POST", form.action);
          xhr.setRequestHeader("X-CSRF-Token", csrf());
          xhr.setRequestHeader("Accept", "text/html");
          xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable) bar.value = (100 * ev.loaded) / ev.total; });
          xhr.addEventListener("load", () => {
            const msg = document.createElement("p");
            if (xhr.status >= 200 && xhr.status < 300) {
              msg.className = "success"; msg.textContent = `${file.name} uploaded.`;
            } else if (xhr.status === 401) {
              window.location = xhr.getResponseHeader("HX-Redirect") || "/login"; return;
            } else {
              msg.className = "error"; msg.setAttribute("role", "alert");
              const tmp = document.createElement("div"); tmp.innerHTML = xhr.responseText;
              msg.textContent = `${file.name} was not added: ` + (tmp.textContent || "").trim().replace(/\s+/g, " ");
            }
            line.replaceChildren(msg);
            next();
          });
          xhr.addEventListener("error", () => {
            line.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: `${file.name}: the connection failed; nothing was lost, try again.` }));
            next();
          });
          xhr.send(data);
        };
        next();
      };
      form.addEventListener("submit", (e) => { e.preventDefault(); send(input.files); input.value = ""; });
      input.addEventListener("change", () => { send(input.files); input.value = ""; });
      if (zone) {
        zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
        zone.addEventListener("dragleave", () => zone.classList.remove("over"));
        zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); send(e.dataTransfer.files); });
      }
    });
  }
  function refresh(form) {
    const target = form.dataset.refresh && document.querySelector(form.dataset.refresh);
    if (target && window.htmx && target.getAttribute("hx-get")) { htmx.trigger(target, "refresh"); }
    else if (form.dataset.reload !== undefined) { window.location.reload(); }
  }

  // --- keyboard shortcuts: any element with data-shortcut="j" is clicked by that key ---------
  // Never while typing: keys pressed in a text field, select or editable element are the text's.
  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const el = document.querySelector(`[data-shortcut="${CSS.escape(e.key)}"]:not([disabled])`);
    if (el) { e.preventDefault(); el.click(); }
  });

  function bindAll(root) { bindCounts(root); bindUploads(root); }
  document.addEventListener("DOMContentLoaded", () => bindAll(document));
  document.addEventListener("htmx:afterSettle", (e) => bindAll(e.target));
  window.mcs = { countWords, bindAll, csrf };
})();
