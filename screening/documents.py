"""Extracted documents: the output of ingest and the input of passage building.

A ``Document`` is plain data (picklable, so extraction can run in a child process). Text is kept
per page for paged formats, so every later location can name its page; formats without pages
(plain text, Markdown, DOCX) have one ``Page`` with ``number=None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class FileKind(str, Enum):
    """File types decided by content (see :mod:`screening.ingest.sniff`)."""

    PDF = "pdf"
    DOCX = "docx"
    TEXT = "text"
    MARKDOWN = "markdown"
    # Recognised, not (yet) readable. Named so messages can say what the file is.
    AUDIO = "audio"
    VIDEO = "video"
    IMAGE = "image"
    SPREADSHEET = "spreadsheet"
    PRESENTATION = "presentation"
    ARCHIVE = "archive"
    OTHER_OFFICE = "other-office"
    UNKNOWN = "unknown"
    EMPTY = "empty"


@dataclass(frozen=True)
class Page:
    """One page of extracted text.

    ``number`` is the 1-based page number for paged formats, ``None`` otherwise.
    ``has_text_layer`` is False for a page that carries no extractable text (a scan without
    OCR): such a page is reported, never treated as an empty page silently.
    """

    number: int | None
    text: str
    has_text_layer: bool = True
    has_images: bool = False
    rotation: int = 0


@dataclass(frozen=True)
class IngestProblem:
    """Something wrong with a file, in the words of a flag code (see :mod:`screening.flags`).

    ``code`` is a flag code (``file_unreadable``, ``file_unsupported``, ``file_empty``,
    ``no_text_layer``, ``file_too_large``, ``file_type_mismatch``); ``params`` fill the flag's
    message template; ``pages`` lists the affected pages where that applies, ``spans`` the
    affected stretches of a recording, (start, end) in seconds.
    """

    code: str
    params: dict[str, str] = field(default_factory=dict)
    pages: tuple[int, ...] = ()
    spans: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class TimedSpan:
    """Where a transcript segment sits: its time in the media and its characters in the
    transcript text (the media document's single page)."""

    start_s: float
    end_s: float
    char_start: int
    char_end: int


@dataclass(frozen=True)
class MediaInfo:
    """What is known of an audio or video file after transcription."""

    duration_s: float | None
    speech_s: float
    language: str | None
    language_probability: float | None
    low_confidence_s: float
    model: str


@dataclass(frozen=True)
class Document:
    """A file's extracted text with its pages, identity and any problems met on the way."""

    path: str
    name: str
    sha256: str
    size_bytes: int
    kind: FileKind
    pages: tuple[Page, ...] = ()
    page_count: int | None = None
    problems: tuple[IngestProblem, ...] = ()
    encoding: str | None = None
    segments: tuple[TimedSpan, ...] = ()  # media only: transcript segments, in time order
    media: MediaInfo | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    @property
    def readable(self) -> bool:
        """True when at least some text was extracted."""
        return any(p.text.strip() for p in self.pages)
