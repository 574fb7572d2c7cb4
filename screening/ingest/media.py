"""Audio and video: a transcript (from :mod:`screening.media`) as a ``Document``.

The transcript is the document's one page-less page, segments separated by newlines; each
segment keeps its time span and its characters in that text, so passages built from it carry
``start_s``/``end_s``. Transcription runs in this process (the Whisper model is loaded once and
reused), not in the extraction worker: it needs more memory and time than a document parser,
and its inputs' limits (size, duration) are checked before any decoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..documents import Document, FileKind, IngestProblem, MediaInfo, Page, TimedSpan
from ..settings import MediaSettings


def media_document(
    path: Path, base: dict[str, object], kind: FileKind, settings: MediaSettings, cache_dir: Path | None,
    problems: list[IngestProblem], progress: Callable[[float, float], None] | None = None,
) -> Document:
    from ..media import transcribe  # lazy: faster-whisper is heavy

    transcript = transcribe(path, settings, cache_dir, progress, sha256=str(base["sha256"]))
    spans: list[TimedSpan] = []
    text = ""
    for seg in transcript.segments:
        body = " ".join(seg.text.split())
        if not body:
            continue
        if text:
            text += "\n"
        spans.append(TimedSpan(seg.start_s, seg.end_s, len(text), len(text) + len(body)))
        text += body
    info = MediaInfo(
        duration_s=transcript.duration_s, speech_s=transcript.speech_s, language=transcript.language,
        language_probability=transcript.language_probability, low_confidence_s=transcript.low_confidence_s,
        model=transcript.model,
    )
    return Document(
        **base, kind=kind, pages=(Page(None, text),) if text else (), segments=tuple(spans), media=info,  # type: ignore[arg-type]
        problems=tuple(problems) + tuple(transcript.problems),
    )
