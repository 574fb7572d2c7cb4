"""Deterministic inputs for bench/speed.py, built from the example's sources (examples/src/).

- ``passages(n)``: ``n`` distinct passages of 8–60 words (windows of one to three consecutive
  sentences of the example's narrative, reflection and artifacts), in a fixed shuffled order.
- ``write_submission(folder)``: a text-only submission of a ~2,000-word narrative (the example's
  narrative and reflection as one Markdown file) plus a 20-page PDF artifact (the example
  artifacts' paragraphs, then generated coaching-log entries, ~300 words a page).
- ``edit_one_paragraph(path, n)``: the narrative with one paragraph reworded (a different one,
  differently, for each ``n``), as a candidate's revision would.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "examples" / "src" / "professional-learning"
PDF_PAGES = 20
WORDS_PER_PAGE = 300
NARRATIVE_WORDS = 2000

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _markdown_paragraphs(path: Path) -> list[str]:
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"))
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip() and not p.lstrip().startswith("#")]


def _artifact_paragraphs() -> list[str]:
    out: list[str] = []
    for path in sorted((SRC / "artifacts").glob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for page in data["pages"]:
            for block in page["blocks"]:
                if "paragraph" in block:
                    for line in str(block["paragraph"]).split("\n"):
                        line = line.lstrip("- ").strip()
                        if line:
                            out.append(" ".join(line.split()))
    return out


def source_paragraphs() -> list[str]:
    return (_markdown_paragraphs(SRC / "narrative.md") + _markdown_paragraphs(SRC / "reflection.md")
            + _artifact_paragraphs())


def _labelled_set() -> list[str]:
    data = YAML(typ="safe").load((REPO / "bench" / "data" / "mc_passages.yaml").read_text(encoding="utf-8"))
    return [" ".join(str(p["text"]).split()) for p in data["passages"]]


def passages(n: int = 1000, seed: int = 0) -> list[str]:
    """Windows of the example's paragraphs and of the labelled set's passages (real prose written
    for the project), topped up with generated coaching-log entries if still short of ``n``."""
    rng = random.Random(seed)
    sources = source_paragraphs() + _labelled_set()
    windows: list[str] = []
    for paragraph in sources:
        sentences = [s for s in _SENTENCE_END.split(paragraph) if s]
        for size in (1, 2, 3):
            for i in range(len(sentences) - size + 1):
                window = " ".join(sentences[i : i + size])
                if 8 <= len(window.split()) <= 60:
                    windows.append(window)
    distinct = list(dict.fromkeys(windows))
    entry = 0
    while len(distinct) < n:
        entry += 1
        sentences = _SENTENCE_END.split(_log_entry(rng, entry))
        distinct.append(" ".join(sentences[: 1 + entry % len(sentences)]))
        distinct = list(dict.fromkeys(distinct))
    rng.shuffle(distinct)
    return distinct[:n]


def passages_origin(n: int = 1000, seed: int = 0) -> tuple[int, int]:
    """(passages from written prose, generated passages) among ``passages(n)``."""
    generated = sum(1 for p in passages(n, seed) if p.startswith("Entry "))
    return n - generated, generated


# Generated coaching-log entries fill the PDF past the artifacts' own text: every entry differs
# (codes, dates, counts, routines), so the PDF has as many distinct passages as a real log would.
_ROUTINES = ["turn-and-talk with sentence frames", "a structured academic controversy", "a fishbowl discussion",
             "claim-evidence-reasoning paragraphs", "a gallery walk with feedback notes", "numbered heads together",
             "a Socratic seminar", "a think-pair-share on the lab data", "paired reading with question stems",
             "a four-corners debate", "an exit ticket built from the discussion", "a word wall for multilingual learners"]
_SUBJECTS = ["sixth-grade science", "seventh-grade social studies", "eighth-grade mathematics", "sixth-grade ELA",
             "eighth-grade science", "seventh-grade ELA", "music", "physical education", "art", "Spanish"]
_NOTES = ["students built on each other's ideas for most of the period",
          "the quieter half of the class spoke at least twice",
          "the frames helped multilingual learners start, but several stopped using them after a week",
          "partners drifted off task once the timer ran past four minutes",
          "written responses cited evidence from the discussion more often than last month",
          "the host tried the routine for the first time and said what she was unsure about beforehand",
          "visitors counted student turns and the host reviewed the tally during the debrief",
          "the debrief produced one change the host will try on Thursday"]


def _log_entry(rng: random.Random, n: int) -> str:
    month, day = rng.choice(["September", "October", "November", "December", "January", "February"]), rng.randint(1, 28)
    code = f"T{rng.randint(1, 44):02d}"
    visitors = rng.randint(2, 7)
    return (f"Entry {n}, {month} {day}: teacher {code} hosted {visitors} colleagues in {rng.choice(_SUBJECTS)} "
            f"for {rng.choice(_ROUTINES)}. Visitors noted that {rng.choice(_NOTES)}. "
            f"In the debrief {code} said the next attempt will change {rng.choice(['the grouping', 'the timing', 'the frames', 'the prompt', 'the roles'])}, "
            f"and the coach scheduled a follow-up visit {rng.randint(1, 3)} weeks later.")


def _pdf_pages(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    pages: list[list[str]] = [[]]
    words = 0
    entries = iter(range(1, 10_000))
    paragraphs = iter(_artifact_paragraphs())
    while len(pages) <= PDF_PAGES:
        paragraph = next(paragraphs, None) or _log_entry(rng, next(entries))
        n = len(paragraph.split())
        if words + n > WORDS_PER_PAGE and pages[-1]:
            pages.append([])
            words = 0
        pages[-1].append(paragraph)
        words += n
    return pages[:PDF_PAGES]


def _write_pdf(path: Path, pages: list[list[str]]) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_creation_date(__import__("datetime").datetime(2026, 1, 1))
    pdf.set_auto_page_break(False)
    for number, paragraphs in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, f"Coaching and professional learning records, page {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        if pdf.page_no() != number:
            raise RuntimeError(f"page {number} overflowed; lower WORDS_PER_PAGE")
    pdf.output(str(path))


def write_submission(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """(narrative.md, records.pdf) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = _markdown_paragraphs(SRC / "narrative.md") + _markdown_paragraphs(SRC / "reflection.md")
    rng = random.Random(seed)
    n = 0
    while sum(len(p.split()) for p in paragraphs) < NARRATIVE_WORDS:
        n += 1
        paragraphs.append(" ".join(_log_entry(rng, n) for _ in range(3)))
    narrative = folder / "narrative.md"
    narrative.write_text("# Narrative\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    pdf = folder / "records.pdf"
    _write_pdf(pdf, _pdf_pages(seed))
    return narrative, pdf


def edit_one_paragraph(narrative: Path, n: int, out: Path) -> Path:
    """A copy of ``narrative`` whose paragraph ``n`` (counted cyclically) gains a revised
    opening sentence: that paragraph's passages are new text, every other paragraph unchanged."""
    text = narrative.read_text(encoding="utf-8")
    parts = text.split("\n\n")
    body = list(range(1, len(parts)))  # parts[0] is the title
    i = body[(n * 7) % len(body)]
    parts[i] = f"In revision {n} I want to be more precise about this part of the work. " + parts[i]
    out.write_text("\n\n".join(parts), encoding="utf-8")
    return out


def word_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").split())
