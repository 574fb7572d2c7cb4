"""Passages: spaCy sentences grouped into short passages that keep their provenance.

A passage never crosses a paragraph or page boundary, so its location is exact: the file, the
page (for paged formats), and the character span in that page's extracted text. Very short
paragraphs and headings (short lines without closing punctuation) are attached to the paragraph
that follows them on the same page, so a heading gives its paragraph context instead of becoming
a passage of its own; running headers, footers and page numbers are left out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from .documents import Document
from .sentences import FACTORY as RULES_FACTORY
from .settings import PassageSettings
from .textcache import TextCache
from .wordcount import count_words

if TYPE_CHECKING:
    from spacy.language import Language

_PARA_BREAK = re.compile(r"\n[ \t]*\n+")
_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_HEADING_MAX_WORDS = 12
_TRAILING_MIN_WORDS = 2  # a signature line or a two-word answer still reads as text
_PAGE_NUMBER = re.compile(r"^(page\s*)?#(\s*(of|/)\s*#)?$", re.I)


@dataclass(frozen=True)
class Passage:
    """A stretch of text with its exact origin. ``start_s``/``end_s`` are set for media."""

    id: str
    file: str
    file_sha256: str
    part: str
    page: int | None
    char_start: int
    char_end: int
    text: str
    words: int
    paragraph: int = 1  # 1-based paragraph number on the page (or in a page-less file)
    sentences: tuple[str, ...] = ()  # the passage's sentences, for sentence-level scoring
    start_s: float | None = None
    end_s: float | None = None

    @property
    def fragment(self) -> str:
        """A URI fragment locating the passage: ``#page=3``, ``#t=65,90`` or RFC 5147 ``#char=``."""
        if self.start_s is not None:
            return f"#t={self.start_s:g},{self.end_s:g}"
        if self.page is not None:
            return f"#page={self.page}"
        return f"#char={self.char_start},{self.char_end}"

    @property
    def content_key(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    paragraph: int = 1


def _paragraphs(text: str) -> Iterator[_Span]:
    pos = 0
    for m in _PARA_BREAK.finditer(text):
        if text[pos : m.start()].strip():
            yield _trim(text, pos, m.start())
        pos = m.end()
    if text[pos:].strip():
        yield _trim(text, pos, len(text))


def _trim(text: str, start: int, end: int) -> _Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return _Span(start, end)


def _shape(line: str) -> str:
    return _DIGITS.sub("#", _WS.sub(" ", line).strip().lower())


def _furniture(doc: Document) -> frozenset[str]:
    """Running headers and footers: first/last lines that recur on most pages of a document
    (digits ignored, so "Page 2 of 5" matches "Page 3 of 5"). They are not evidence."""
    pages = [p.text for p in doc.pages if p.text.strip()]
    if len(pages) < 2:
        return frozenset()
    seen: dict[str, int] = {}
    for text in pages:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        for shape in {_shape(lines[0]), _shape(lines[-1])}:
            seen[shape] = seen.get(shape, 0) + 1
    return frozenset(k for k, n in seen.items() if n >= max(2, 0.6 * len(pages)))


def _is_furniture(text: str, furniture: frozenset[str]) -> bool:
    shape = _shape(text)
    return shape in furniture or bool(_PAGE_NUMBER.match(shape))


# The parts the candidate writes themselves; artifacts are the school's documents.
OWN_PROSE = frozenset({"narrative", "reflection"})


def is_heading(text: str) -> bool:
    """A short line without closing punctuation: a title, heading or label. It introduces what
    follows rather than saying anything itself, so it is not a passage on its own."""
    stripped = text.strip()
    return "\n" not in stripped and count_words(stripped) <= _HEADING_MAX_WORDS and stripped[-1:] not in ".!?\"”'"


def _mask_furniture(text: str, furniture: frozenset[str]) -> str:
    """Blank (same length, so offsets hold) furniture lines at the top and bottom of a page,
    even when extraction glued them to a paragraph."""
    lines = text.split("\n")
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    for i in content[:2] + content[-2:]:
        if _is_furniture(lines[i], furniture):
            lines[i] = " " * len(lines[i])
    return "\n".join(lines)


def _blocks(text: str, min_words: int, furniture: frozenset[str] = frozenset(), paged: bool = True) -> list[_Span]:
    """Paragraph spans, with short ones joined to the next paragraph (a heading to its body).
    Page furniture (running headers, footers, page numbers) is left out."""
    out: list[_Span] = []
    carry: tuple[int, int] | None = None  # (start, paragraph number) of pending short paragraphs
    for number, para in enumerate(_paragraphs(text), start=1):
        if _is_furniture(text[para.start : para.end], furniture):
            continue
        start, first = carry if carry is not None else (para.start, number)
        if count_words(text[start : para.end]) < min_words or is_heading(text[para.start : para.end]):
            carry = (start, first)
            continue
        carry = None
        out.append(_Span(start, para.end, first))
    # On a page, a trailing fragment (a footer, a page number) never becomes a passage; its words
    # are still counted, since word counts come from the document text, not from passages. A
    # text without pages has no footers: what ends it is the writer's ("Exit tickets every day",
    # a short answer with no closing full stop), and is read.
    if carry is not None and not paged and count_words(text[carry[0] :]) >= _TRAILING_MIN_WORDS:
        tail = _trim(text, carry[0], len(text))
        out.append(_Span(tail.start, tail.end, carry[1]))
    return out


def _group(sentences: list[_Span], text: str, cfg: PassageSettings) -> Iterator[list[_Span]]:
    """Consecutive sentences, as many as fit ``max_sentences`` and ``max_words``."""
    group: list[_Span] = []
    words = 0
    for sent in sentences:
        w = count_words(text[sent.start : sent.end])
        if group and (len(group) >= cfg.max_sentences or words + w > cfg.max_words):
            yield group
            group, words = [], 0
        group.append(sent)
        words += w
    if group:
        yield group


def _media_passages(doc: Document, part: str, cfg: PassageSettings) -> list[Passage]:
    """Transcript segments (Whisper's are about a sentence each) grouped like sentences, each
    passage keeping the time span it was spoken in."""
    text = doc.pages[0].text if doc.pages else ""
    out: list[Passage] = []
    group: list = []
    words = 0

    def flush() -> None:
        first, last = group[0], group[-1]
        body = _WS.sub(" ", text[first.char_start : last.char_end]).strip()
        pid = hashlib.sha1(f"{doc.sha256}:t:{first.start_s}:{last.end_s}".encode()).hexdigest()[:12]
        out.append(
            Passage(
                id=pid, file=doc.name, file_sha256=doc.sha256, part=part, page=None,
                char_start=first.char_start, char_end=last.char_end, text=body, words=count_words(body),
                sentences=tuple(_WS.sub(" ", text[g.char_start : g.char_end]).strip() for g in group),
                start_s=first.start_s, end_s=last.end_s,
            )
        )

    for seg in doc.segments:
        w = count_words(text[seg.char_start : seg.char_end])
        if w == 0:
            continue
        if group and (len(group) >= cfg.max_sentences or words + w > cfg.max_words):
            flush()
            group, words = [], 0
        group.append(seg)
        words += w
    if group:
        flush()
    return out


def _for_splitter(block: str, keep_breaks: bool) -> str:
    """The block as the sentence splitter sees it: line ends as spaces (PDF line ends are not
    sentence ends) but, with ``keep_breaks``, paragraph breaks kept (a heading joined to its
    paragraph ends there). Same length, so offsets stay valid."""
    out = list(block.replace("\n", " "))
    for m in _PARA_BREAK.finditer(block) if keep_breaks else ():
        out[m.start()] = out[m.end() - 1] = "\n"
    return "".join(out)


# Sentence boundaries of block texts already split in this process, so re-screening an edited
# draft runs the sentence splitter only on the blocks that changed.
_SENTENCES: TextCache[tuple[tuple[int, int], ...]] = TextCache()


def sentence_bounds(texts: list[str], nlp: "Language") -> list[tuple[tuple[int, int], ...]]:
    """(start, end) character offsets of each text's sentences, from ``nlp`` or the cache."""
    return _SENTENCES.get_many(nlp, texts, lambda todo: (
        tuple((s.start_char, s.end_char) for s in sdoc.sents) for sdoc in nlp.pipe(todo, batch_size=64)))


def build_passages(
    docs: Iterable[tuple[Document, str]], nlp: "Language", cfg: PassageSettings
) -> list[Passage]:
    """Passages for each (document, part) pair, in document order."""
    jobs: list[tuple[Document, str, int | None, str, _Span]] = []
    media: list[Passage] = []
    order: dict[str, int] = {}
    for doc, part in docs:
        order.setdefault(doc.name, len(order))
        if doc.segments:
            media.extend(_media_passages(doc, part, cfg))
            continue
        furniture = _furniture(doc)
        for page in doc.pages:
            if not page.text.strip():
                continue
            text = _mask_furniture(page.text, furniture)
            for block in _blocks(text, cfg.min_words, furniture, paged=page.number is not None):
                jobs.append((doc, part, page.number, text, block))
    # The statistical senter reads a kept paragraph break as no boundary at all (a heading then
    # swallows its paragraph's first sentence), so it sees every line end as a space, as before.
    keep_breaks = RULES_FACTORY in nlp.pipe_names
    texts = [_for_splitter(page_text[b.start : b.end], keep_breaks) for _, _, _, page_text, b in jobs]
    out: list[Passage] = []
    for (doc, part, page_no, page_text, block), bounds in zip(jobs, sentence_bounds(texts, nlp)):
        sentences = [_Span(block.start + start, block.start + end, block.paragraph) for start, end in bounds]
        sentences = [s for s in sentences if page_text[s.start : s.end].strip()]
        for group in _group(sentences, page_text, cfg):
            sents = tuple(_WS.sub(" ", page_text[g.start : g.end]).strip() for g in group)
            span = _Span(group[0].start, group[-1].end, block.paragraph)
            text = _WS.sub(" ", page_text[span.start : span.end]).strip()
            words = count_words(text)
            if words < cfg.min_words and out and out[-1].file == doc.name and out[-1].page == page_no:
                prev = out.pop()  # a dangling short sentence belongs with the one before
                span = _Span(prev.char_start, span.end, prev.paragraph)
                text = _WS.sub(" ", page_text[span.start : span.end]).strip()
                sents = prev.sentences + sents
                words = count_words(text)
            pid = hashlib.sha1(f"{doc.sha256}:{page_no}:{span.start}:{span.end}".encode()).hexdigest()[:12]
            out.append(
                Passage(
                    id=pid, file=doc.name, file_sha256=doc.sha256, part=part, page=page_no,
                    char_start=span.start, char_end=span.end, text=text, words=words,
                    paragraph=span.paragraph, sentences=sents,
                )
            )
    return sorted(out + media, key=lambda p: order[p.file])  # stable: document order, then position
