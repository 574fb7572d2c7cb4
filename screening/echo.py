"""Rubric echo: passages that mostly restate the rubric's own wording instead of describing
practice.

A candidate who writes "I engage teachers in analysing data to set the professional learning
focus" has copied the detail, not shown it. Similarity to the detail is no help here: the echo
scores *higher* than genuine evidence. So echo is judged from two things similarity cannot see:

- **shared wording**: the share of the passage's content words that come from the rubric's own
  text (overview, EO and detail wording, which the candidate has in front of them), and the share
  of its word sequences (three content words in a row) copied from it;
- **particulars**: who, when, how many, which, what changed — named people, places and
  programs, dates and times, numbers, and proper nouns the rubric does not use — found with the
  tagger + NER pipeline.

A passage is an echo when its wording comes mostly from the rubric *and* it names no
particulars. Genuine evidence that borrows the rubric's vocabulary ("To engage teachers in
analysing data, I had the seven grade-level teams review our March MAP results") names
particulars and is not an echo. Thresholds are in ``settings.echo`` (docs/settings.md); the
labelled set in bench/ measures them (bench/RESULTS.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from .passages import Passage
from .rubric import Rubric
from .settings import EchoSettings

if TYPE_CHECKING:
    from spacy.language import Language

# Entity types that are particulars: someone, somewhere, something named, a when or a how many.
_NAMED_ENTITIES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
_CONCRETE_ENTITIES = _NAMED_ENTITIES | {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}
# Words that neither come from the rubric nor make a passage concrete: the filler of generic
# claims ("I strongly believe it is essential to always ensure…"). Left out of both sides of the
# share, so filler cannot dilute an echo into looking original.
_FILLER = frozenset("""
able about above across actually also always another any anything appropriate area areas aspect
aspects assure believe best better build building can certain clear clearly commit committed
commitment constantly consistently continue continued continually continuous could critical
daily different each effective effectively efficient ensure ensures ensuring essential ever every
everyone everything example focus forward future good great help helps high highly important
importantly including individual key leader leaders leadership make makes making many meaningful
more most much must need needs needed one ongoing order overall own part particular particularly
place play possible practice practices priority provide provides providing really regularly
role school schools seek seeks sense should significant so strive strives strong strongly
success successful such support supports supporting sure themselves there things through time
together truly understand understanding use used using various vital way ways well whole will
within work working would years
""".split()) | frozenset("""
basically big definitely gonna guess honestly kind know lot lots obviously okay stuff think thing
wanna yeah
""".split())  # the spoken register of recorded reflections ("I think the big thing is…, you know")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_MIN_STEM = 3


@lru_cache(maxsize=100_000)  # pure, and called for every word of every passage on each screen
def _stem(word: str) -> str:
    """A deliberately small English stemmer: enough that "engages", "engaged" and "engaging"
    meet, and British and American spellings ("analyse", "analyze") too."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("-", "")
    w = re.sub(r"is(e|es|ed|ing|ation|ations)$", r"iz\1", w)
    w = re.sub(r"ys(e|es|ed|ing)$", r"yz\1", w)
    # "ous" so that an adjective meets its noun: "rigorous" and "Rigor", "continuous" and "continue"
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "ing", "edly", "ed", "ies", "ously", "ous", "es", "ly", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= _MIN_STEM + 1:
            w = w[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    if w.endswith("e") and len(w) > _MIN_STEM + 1:
        w = w[:-1]
    return w


@lru_cache(maxsize=1)  # loaded on first use, so that importing screening stays light
def _stopwords() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a plain word list: no model loads

    return frozenset(STOP_WORDS)


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry content (no stop words, no filler), in order."""
    stop = _stopwords()
    out = []
    for m in _WORD.finditer(text):
        word = m.group().lower().strip("'’-")
        if len(word) < 3 or word in stop or word in _FILLER:
            continue
        out.append(_stem(word))
    return out


def _trigrams(stems: Sequence[str]) -> set[tuple[str, str, str]]:
    return {tuple(stems[i : i + 3]) for i in range(len(stems) - 2)}  # type: ignore[misc]


def _initials(text: str) -> set[str]:
    """The initials of every run of two to four content words without punctuation between them
    ("professional learning communities" gives PL, LC and PLC)."""
    stop = _stopwords()
    out: set[str] = set()
    for run in re.split(r"[^A-Za-z\s'’-]+", text):
        words = _WORD.findall(run)
        for n in (2, 3, 4):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if not any(w.lower() in stop for w in gram):
                    out.add("".join(w[0] for w in gram).upper())
    return out


def _abbreviates_rubric(word: str, wording: "RubricWording") -> bool:
    """Whether ``word`` is an all-capitals abbreviation ("PD", "PLCs") of one of the rubric's phrases."""
    core = word[:-1] if word.endswith("s") and len(word) > 2 else word
    return 2 <= len(core) <= 4 and core.isalpha() and core.isupper() and core in wording.acronyms


@dataclass(frozen=True)
class RubricWording:
    """The rubric text a candidate has in front of them, as stems, whole and per element: the
    overview, EO titles and wording, and the details unless the rubric keeps them from
    candidates (``details_shown_to_candidates: false``)."""

    stems: frozenset[str]
    trigrams: frozenset[tuple[str, str, str]]
    elements: tuple[tuple[str, frozenset[str]], ...]  # ("EO 2" or "2.1", stems of its wording)
    # The initials of its phrases ("PL" for professional learning, "CFA" for common formative
    # assessment): the candidate's abbreviation of the rubric's own term
    acronyms: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rubric: Rubric) -> "RubricWording":
        texts: list[tuple[str, str]] = [("overview", rubric.overview or "")]
        for eo in rubric.essential_outcomes:
            texts.append((f"EO {eo.id}", f"{eo.title}. {eo.text}"))
            if rubric.details_shown_to_candidates:
                # A short answer's key elements are the marker's: an answer that uses their
                # words found them itself, which is what is being assessed, not an echo.
                texts.extend((d.id, d.text) for d in eo.details)
        stems: set[str] = set()
        trigrams: set[tuple[str, str, str]] = set()
        elements = []
        acronyms: set[str] = set()
        for name, text in texts:
            s = content_stems(text)
            stems.update(s)
            trigrams.update(_trigrams(s))
            acronyms.update(_initials(text))
            if name != "overview":
                elements.append((name, frozenset(s)))
        return cls(frozenset(stems), frozenset(trigrams), tuple(elements), frozenset(acronyms))

    def shares(self, text: str) -> tuple[float, float, int, str | None]:
        """(word share, phrase share, content words, closest element) of ``text``."""
        s = content_stems(text)
        if not s:
            return 0.0, 0.0, 0, None
        word_share = sum(w in self.stems for w in s) / len(s)
        grams = [tuple(s[i : i + 3]) for i in range(len(s) - 2)]
        phrase_share = sum(g in self.trigrams for g in grams) / len(grams) if grams else 0.0
        closest = max(self.elements, key=lambda e: sum(w in e[1] for w in s), default=None)
        return word_share, phrase_share, len(s), closest[0] if closest else None


@dataclass(frozen=True)
class EchoAssessment:
    word_share: float  # share of content words found in the rubric's wording
    phrase_share: float  # share of content-word trigrams copied from it
    content_words: int
    particulars: tuple[str, ...]  # what made it concrete: entity labels, "number", "name"
    closest: str | None  # the rubric element whose wording it shares most ("2.1", "EO 2")
    is_echo: bool
    narrates: bool = False  # tells what happened (past-tense verbs): the candidate's context, not echo


@dataclass(frozen=True)
class Echo:
    passage: Passage
    assessment: EchoAssessment


MONTHS_DAYS = frozenset("""
january february march april may june july august september october november december jan feb mar
apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday spring
summer fall autumn winter
""".split())
def _concrete(ent: "object", wording: RubricWording, acronyms: bool = False) -> bool:
    """Whether an entity pins something down. "Next year", "the end of the year" and the "one" of
    "one of the most important" are not particulars; "March 3", "fall 2025", "Tuesday" and
    "fifty-minute" are.
    A lower-case "name" is the tagger's mistake ("fidelity" as an organisation), not a name, and a
    name made only of the rubric's words ("Rigor" at the start of a sentence) is the rubric's."""
    text = ent.text  # type: ignore[attr-defined]
    label = ent.label_  # type: ignore[attr-defined]
    if label in ("DATE", "TIME"):
        # a length said in words ("a fifty-minute block", "two flex weeks") is as particular as in digits
        return any(ch.isdigit() for ch in text) or any(w.lower().strip(".,") in MONTHS_DAYS for w in text.split()) \
            or any(t.like_num and t.lower_ not in ("one", "once") for t in ent)  # type: ignore[attr-defined]
    if label in ("CARDINAL", "ORDINAL"):
        return any(ch.isdigit() for ch in text) or text.lower() not in ("one", "first", "once")
    if label in _NAMED_ENTITIES:
        # The rubric's own names ("Missouri Learning Standards") are not the candidate's particulars.
        own = [w for w in _WORD.findall(text) if _stem(w) not in wording.stems
               and not (acronyms and _abbreviates_rubric(w, wording))]
        return any(w[:1].isupper() for w in own)
    return label in _CONCRETE_ENTITIES


_SETTING_ENTITIES = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP"})
# The kind particulars() gives a date without a day or a year ("in September", "every Thursday",
# "this fall"): it says roughly when, where "October 8" or "2025-26" points at a record.
_ROUGH_DATE = "WHEN"


def _vague_date(ent: "object") -> bool:
    """A date with no number in it: not "October 8", "2025-26" or "two flex weeks per semester"."""
    return ent.label_ == "DATE" and not any(t.like_num or any(ch.isdigit() for ch in t.text) for t in ent)  # type: ignore[attr-defined]


def particulars(doc: "object", wording: RubricWording, setting: "Callable[[str], bool] | None" = None,
                acronyms: bool = False) -> tuple[str, ...]:
    """The concrete particulars in a parsed spaCy ``Doc``, by kind (one entry per occurrence).
    ``setting(name)`` says whether an organisation or place is the submission's own setting
    (its school, district or state, named all through it): "Professional learning at Spring
    Branch changes as students' needs change" pins nothing down that "our school" would not.
    With ``acronyms``, the abbreviation of one of the rubric's phrases ("our PD calendar", "the
    PLC") is the rubric's term, not a name."""
    found: list[str] = []
    covered: set[int] = set()
    for ent in doc.ents:  # type: ignore[attr-defined]
        if ent.label_ in _CONCRETE_ENTITIES:
            covered.update(range(ent.start, ent.end))
            if setting is not None and ent.label_ in _SETTING_ENTITIES and setting(ent.text):
                continue
            if _concrete(ent, wording, acronyms):
                found.append(_ROUGH_DATE if _vague_date(ent) else ent.label_)
    for tok in doc:  # type: ignore[attr-defined]
        if tok.i in covered:
            continue
        if any(ch.isdigit() for ch in tok.text) or (tok.like_num and tok.lower_ not in ("one", "once")):
            found.append("number")
        elif tok.tag_ in ("NNP", "NNPS") and tok.i > 0 and tok.text.isalpha() and tok.text != "I" \
                and _stem(tok.text) not in wording.stems and not (setting is not None and setting(tok.text)) \
                and not (acronyms and _abbreviates_rubric(tok.text, wording)):
            # a month or weekday the entity recogniser left out ("at the August PD") is a date
            found.append(_ROUGH_DATE if tok.lower_ in MONTHS_DAYS else "name")
    return tuple(found)


def _narrates(doc: "object", least: int, wording: RubricWording) -> bool:
    """Whether the text tells what happened: at least ``least`` verbs in the past tense ("teachers
    led", "sessions were better"). An echo restates what should be, in the present ("the principal
    ensures", "learning is ongoing"); the tagger's odd past participle ("lessons taught every
    day") makes one, not two. The rubric's own verbs put in the past tense do not count: "I
    fostered a professional culture … I engaged teachers … I developed and implemented a strategic
    plan" is the overview restated as a summary, not what happened."""
    return sum(t.tag_ == "VBD" and _stem(t.text) not in wording.stems for t in doc) >= least  # type: ignore[attr-defined]


def _candidate(word_share: float, phrase_share: float, words: int, cfg: EchoSettings) -> bool:
    if words < cfg.min_content_words:
        return False
    if words < cfg.shared_words_from:
        # Three of five words shared is what a table header or label in the field's own
        # vocabulary looks like; a short restatement also copies the rubric's phrasing.
        return phrase_share >= cfg.min_phrase_share
    return word_share >= cfg.min_word_share or phrase_share >= cfg.min_phrase_share


def _assess(texts: Sequence[str], wording: RubricWording, load_nlp: "Callable[[], Language | None]",
            cfg: EchoSettings, setting: "Callable[[str], bool] | None" = None) -> list[EchoAssessment]:
    shares = [wording.shares(t) for t in texts]
    todo = [i for i, (w, p, n, _) in enumerate(shares) if _candidate(w, p, n, cfg)]
    found: dict[int, tuple[str, ...]] = {}
    narrated: set[int] = set()
    if todo:
        nlp = load_nlp()
        if nlp is None:
            raise ValueError("assess_texts needs a spaCy pipeline with NER when a text may be an echo")
        for i, doc in zip(todo, nlp.pipe((texts[i] for i in todo), batch_size=64)):
            found[i] = particulars(doc, wording, setting)
            if cfg.narration_min_past_verbs is not None and _narrates(doc, cfg.narration_min_past_verbs, wording):
                narrated.add(i)
    out = []
    for i, (w, p, n, closest) in enumerate(shares):
        parts = found.get(i, ())
        out.append(EchoAssessment(
            word_share=round(w, 3), phrase_share=round(p, 3), content_words=n, particulars=parts,
            closest=closest, is_echo=i in found and len(parts) <= cfg.max_particulars and i not in narrated,
            narrates=i in narrated,
        ))
    return out


def assess_texts(texts: Sequence[str], rubric: Rubric, nlp: "Language | None", cfg: EchoSettings,
                 wording: RubricWording | None = None) -> list[EchoAssessment]:
    """Echo assessment of each text. Only texts whose wording comes mostly from the rubric are
    parsed for particulars (``nlp`` may be None when no text is a candidate)."""
    return _assess(texts, wording or RubricWording.of(rubric), lambda: nlp, cfg)


def prose(passage: Passage) -> str:
    """The passage's claims: its sentences that end with a stop. A heading, title or label, a
    table's cells or a slide's bullets as extracted ("Goal Lessons teach the learning targets in
    the pacing guide Every unit target has a matching assessment") end without one: they name
    what a plan or section is about, often in the rubric's words on purpose. A question asks: a
    slide's guiding question ("Formative, interim, summative: who uses the result, and when?")
    names the rubric's terms to open a discussion. Neither is a claim to judge."""
    sentences = passage.sentences or (passage.text,)
    return " ".join(s for s in sentences if s.rstrip()[-1:] in ".!\"”'…")


def setting_of(texts: Sequence[str], least: int | None) -> "Callable[[str], bool]":
    """Whether a name is the submission's setting: named in at least ``least`` of its ``texts``
    (its school, district, state). None: no name is."""
    @lru_cache(maxsize=None)  # a school is named in many candidate passages: count it once
    def setting(name: str) -> bool:
        # An acronym ("MLS", "GRMS", "PBIS") names a standard, a programme or a plan as often as
        # the school, and the candidate chose it: it stays a particular.
        return (least is not None and not any(w.isupper() for w in name.split())
                and sum(name in t for t in texts) >= least)

    return setting


def find_echoes(passages: Sequence[Passage], rubric: Rubric, load_nlp: "Callable[[], Language]",
                cfg: EchoSettings) -> list[Echo]:
    """The passages that echo the rubric, each with its assessment. A paragraph is judged as a
    whole: one generic sentence in a paragraph that goes on to say who did what, when, is the
    paragraph's topic sentence, not an echo; a paragraph that restates the rubric throughout
    is one, all its passages. (A recording's passages are judged one by one.) ``load_nlp`` is
    called only when some paragraph's wording comes mostly from the rubric (most submissions
    load no NER)."""
    if not cfg.enabled or not passages:
        return []
    groups: dict[tuple[object, ...], list[Passage]] = {}
    for p in passages:
        key = (p.file, p.id) if p.start_s is not None else (p.file, p.page, p.paragraph)
        groups.setdefault(key, []).append(p)
    members = list(groups.values())
    assessments = _assess([" ".join(prose(p) for p in g) for g in members], RubricWording.of(rubric), load_nlp, cfg,
                          setting_of([p.text for p in passages], cfg.setting_min_passages))
    return [Echo(p, a) for g, a in zip(members, assessments) if a.is_echo for p in g]


__all__ = ["Echo", "EchoAssessment", "RubricWording", "assess_texts", "content_stems", "find_echoes", "particulars", "setting_of", "MONTHS_DAYS"]
