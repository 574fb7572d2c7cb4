// The artifact viewer (templates/_viewer_panel.html): PDFs drawn by the vendored pdf.js at the
// cited page with the passage's words marked; recordings moved to the cited time. Runs on full
// viewer pages and on panels that htmx loads into a page later.
import * as pdfjs from "/static/vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";
const BASE = "/static/vendor/pdfjs/";
const words = (s) => (s.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);

async function showPdf(box) {
  const panel = box.closest("[data-viewer]") || document;
  const input = panel.querySelector("[data-viewer-page]");
  const count = panel.querySelector("[data-viewer-count]");
  const wanted = words(box.dataset.q || "");
  const wantedText = " " + wanted.join(" ") + " ";
  let doc;
  try {
    doc = await pdfjs.getDocument({ url: box.dataset.src, isEvalSupported: false, enableXfa: false,
      standardFontDataUrl: BASE + "standard_fonts/", wasmUrl: BASE + "wasm/" }).promise;
  } catch (err) {
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "error"; p.setAttribute("role", "alert");
    p.textContent = "The document could not be shown here: " + (err && err.message ? err.message : err);
    box.append(p);
    return;
  }
  if (count) count.textContent = `of ${doc.numPages}`;
  let current = 0;
  const draw = async (n) => {
    n = Math.max(1, Math.min(doc.numPages, n || 1));
    current = n;
    if (input) input.value = n;
    const page = await doc.getPage(n);
    const width = Math.max(320, box.clientWidth - 32);
    const scale = width / page.getViewport({ scale: 1 }).width;
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const sheet = document.createElement("div");
    sheet.className = "page";
    sheet.style.width = viewport.width + "px";
    sheet.style.height = viewport.height + "px";
    sheet.style.setProperty("--total-scale-factor", String(scale));
    sheet.style.setProperty("--scale-round-x", "1px");
    sheet.style.setProperty("--scale-round-y", "1px");
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = viewport.width + "px";
    canvas.style.height = viewport.height + "px";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Page ${n} of ${doc.numPages}`);
    sheet.append(canvas);
    box.replaceChildren(sheet);
    box.setAttribute("aria-label", `Page ${n} of ${doc.numPages}`);
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null }).promise;
    const layer = document.createElement("div");
    layer.className = "textLayer";
    sheet.append(layer);
    const text = new pdfjs.TextLayer({ textContentSource: await page.getTextContent(), container: layer, viewport });
    await text.render();
    // Mark the text pieces that belong to the cited passage: a piece whose words, in order,
    // occur in the passage (short pieces need at least two words, so "the" marks nothing).
    let first = null;
    if (wanted.length) {
      for (const span of text.textDivs) {
        const w = words(span.textContent || "");
        if (!w.length || (w.length < 2 && w[0].length < 5)) continue;
        if (wantedText.includes(" " + w.join(" ") + " ")) {
          span.classList.add("hit");
          first = first || span;
        }
      }
    }
    box.dataset.hits = String(layer.querySelectorAll(".hit").length);
    if (first) first.scrollIntoView({ block: "center" });
    box.dispatchEvent(new CustomEvent("viewer:drawn", { bubbles: true, detail: { page: n } }));
  };
  panel.querySelector("[data-viewer-prev]")?.addEventListener("click", () => draw(current - 1));
  panel.querySelector("[data-viewer-next]")?.addEventListener("click", () => draw(current + 1));
  input?.addEventListener("change", () => draw(parseInt(input.value, 10)));
  box.addEventListener("keydown", (e) => {
    if (e.key === "PageDown" || e.key === "ArrowRight") { e.preventDefault(); draw(current + 1); }
    if (e.key === "PageUp" || e.key === "ArrowLeft") { e.preventDefault(); draw(current - 1); }
  });
  await draw(parseInt(box.dataset.page, 10));
}

function showMedia(box) {
  const media = box.querySelector("video, audio");
  const t = parseFloat(box.dataset.t || "0");
  if (!media || !(t > 0)) return;
  // #t= in the address does this already in most browsers; setting it as well covers the rest.
  const seek = () => { if (Math.abs(media.currentTime - t) > 0.5) media.currentTime = t; };
  if (media.readyState >= 1) seek(); else media.addEventListener("loadedmetadata", seek, { once: true });
}

function showText(box) {
  const hit = box.querySelector("#cited");
  if (hit) hit.scrollIntoView({ block: "center" });
}

function start(root) {
  root.querySelectorAll(".viewer[data-mode]:not([data-started])").forEach((box) => {
    box.dataset.started = "1";
    const mode = box.dataset.mode;
    if (mode === "pdf") showPdf(box);
    else if (mode === "audio" || mode === "video") showMedia(box);
    else if (mode === "text") showText(box);
  });
}

start(document);
document.addEventListener("htmx:afterSettle", (e) => start(e.target));
