"""Rule-based sentence boundaries on spaCy's tokenizer: the default splitter for passages.

spaCy's statistical ``senter`` costs about 60 times as much as this (a tok2vec network over
every token) and, on the labelled MC set and the omission benchmark, bought nothing the mapping
could measure (bench/RESULTS.md, docs/speed.md). The rules need only the tokenizer, which already
keeps abbreviations ("e.g.", "Dr.", "a.m.") and numbers ("3.5") whole:

- a sentence ends at a token made only of ``.``, ``!``, ``?`` or ``…``, once the sentence holds a
  word (so list markers such as "1." or "b." do not end one);
- closing quotes and brackets glued to that token stay with the sentence;
- the next sentence starts at the next token, unless that token begins with a lower-case letter
  (an unknown abbreviation: "approx. five");
- a line break ends a sentence: the passage builder keeps only paragraph breaks (a heading and
  the paragraph it introduces), not PDF line ends;
- a run of more than ``max_tokens`` tokens without such an end (a table, a list extracted
  without punctuation) is cut into even pieces, so no "sentence" outgrows what the embedding
  model reads (256 word pieces).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

FACTORY = "screening_sentences"
_ENDS = frozenset(".!?…")
_CLOSERS = frozenset("\"'”’)]}»")


def _ends(text: str) -> bool:
    return bool(text) and all(c in _ENDS for c in text)


def _is_word(text: str) -> bool:
    return len(text) > 1 and any(c.isalpha() for c in text)


def set_sentence_starts(doc: "Doc", max_tokens: int) -> "Doc":
    starts = [0]
    ended = has_word = False
    for i in range(1, len(doc)):
        prev, tok = doc[i - 1], doc[i]
        if _is_word(prev.text):
            has_word = True
        elif (has_word and _ends(prev.text)) or (prev.is_space and "\n" in prev.text):
            ended = True
        if not ended or tok.is_space:
            continue
        if tok.text in _CLOSERS and not prev.whitespace_:
            continue  # a closing quote or bracket glued to the end belongs to its sentence
        ended = False
        if not tok.text[:1].islower():  # lower case: an abbreviation the tokenizer does not know
            starts.append(i)
            has_word = False
    bounds = starts + [len(doc)]
    cut: set[int] = set()
    for start, end in zip(bounds, bounds[1:]):
        pieces = -(-(end - start) // max_tokens)  # ceiling division
        cut.update(start + (end - start) * k // pieces for k in range(pieces))
    for i, tok in enumerate(doc):
        tok.is_sent_start = i in cut
    return doc


def rule_pipeline(tokenizer_from: "Language", max_tokens: int = 80) -> "Language":
    """A pipeline with ``tokenizer_from``'s tokenizer and the rules above as its only component."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory(FACTORY):
        @Language.factory(FACTORY, default_config={"max_tokens": 80})
        def _make(nlp: "Language", name: str, max_tokens: int):  # type: ignore[no-untyped-def]
            return lambda doc: set_sentence_starts(doc, max_tokens)

    nlp = spacy.blank(tokenizer_from.lang, vocab=tokenizer_from.vocab)
    nlp.tokenizer = tokenizer_from.tokenizer
    nlp.add_pipe(FACTORY, config={"max_tokens": max_tokens})
    nlp.max_length = 20_000_000
    return nlp
