"""Likely student personal data in a text: a heuristic aid for redaction, not a FERPA guarantee.

``detect`` reads one text (a page, or a media transcript) and returns ``Finding``s: a kind and a
character span, with a confidence and the reason it fired. Nothing here stores or prints the
data itself; callers name the kind and the place. ``redact`` replaces the spans with
placeholders such as ``[student name]``.

Kinds:

- ``student_name``: a person's name where the text says it is a student's: a labelled field
  ("Student: Maya Lopez"), a roster row (a "Student" column, or a row with grades, levels or
  IEP/504/ELL marks), a name with a student cue attached ("Jayden (grade 4)", "Maya's IEP",
  "one student, Maya Lopez,", "Carlos scored 62 ..."). Staff and adults are left alone: a
  title (Ms., Mr., Dr.), a role next to the name ("our principal Dana Ruiz", "Mr. Chen, the
  grade 8 team lead"), an adult's verb (taught, coached, reviewed ...), a citation
  ("Hattie (2009)").
- ``student_id``: a number labelled as a student, lunch, state (MOSIS) or plain ID, or a long
  bare number in a student's roster row.
- ``date_of_birth``: a date labelled DOB / date of birth / born, or a date in a student's
  roster row under a birth-date column or with a school-age birth year.
- ``email``, ``phone``: every e-mail address, and every phone number in a full North American
  form (or a seven-digit one labelled phone/cell/tel), except an adult's own: a role or title
  (Principal, Coach, Dr. ...) on its line or the two before, with no student or family word
  there (the candidate's signature block, a colleague's contact line). Contact data of families
  and students is the usual case in artifacts, so without either cue they are flagged.

Names come from two sources: spaCy's tagger and NER (``PERSON`` entities and proper-noun
runs), when a pipeline is given, and capitalised-word patterns in fixed positions (labels,
table rows), which work without one.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from .textcache import TextCache

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

    from .documents import Document

KINDS: tuple[str, ...] = ("student_name", "student_id", "date_of_birth", "email", "phone")
PLACEHOLDERS: dict[str, str] = {
    "student_name": "[student name]",
    "student_id": "[student ID]",
    "date_of_birth": "[date of birth]",
    "email": "[email]",
    "phone": "[phone]",
}
# How a kind is named in messages, singular and plural.
KIND_WORDS: dict[str, tuple[str, str]] = {
    "student_name": ("student name", "student names"),
    "student_id": ("student ID number", "student ID numbers"),
    "date_of_birth": ("date of birth", "dates of birth"),
    "email": ("email address", "email addresses"),
    "phone": ("phone number", "phone numbers"),
}


@dataclass(frozen=True)
class Finding:
    """One likely piece of personal data: ``text[char_start:char_end]`` of the text read."""

    kind: str
    char_start: int
    char_end: int
    confidence: float
    reason: str


# ---------------------------------------------------------------- vocabularies

_NAME_WORD = r"(?:Mc|Mac|De|La|Le|Da|Di|Van|O')?[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*"  # DeAndre, McKenna, O'Neil
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_NAME_WORD}){{0,2}}"
_LAST_FIRST = rf"{_NAME_WORD},[ \t]*{_NAME_WORD}"
_NAME_CELL = re.compile(rf"(?:{_LAST_FIRST}|{_NAME})")

# Capitalised words that begin rows and sentences but are not names.
_NOT_NAMES = frozenset(
    """
    a an the all and or of in on at to for by with from as our my his her their its this that these those
    total totals average mean median sum count overall class classes grade grades group groups student students
    pupil pupils child children teacher teachers name names level levels week weeks term fall winter spring
    summer session sessions unit units goal goals pre post school schools district team teams committee math
    reading science ela english writing history social studies tier period block cohort section room baseline
    target yes no note notes proficient basic advanced below above approaching meets exceeds emerging
    january february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    middle elementary high academy county state university college center department board plc plcs
    kindergarten iep ell esl esol lep frl id dob age attendance behavior absences tardies score scores
    scale scaled fluency lexile comprehension phonics vocabulary spelling lab labs art music pe health
    before after during every each one two three four five six seven eight nine ten first second third
    fourth fifth sixth seventh eighth ninth tenth eleventh twelfth next last new date dates time times
    monthly weekly daily summary results result data survey minutes plan appendix page pages figure table
    mr mrs ms miss mx dr prof coach principal dean superintendent hello hi thanks thank okay ok good great
    boys girls parents parent families family staff faculty community title strategy strategies
    matrix expectations rubric rubrics framework guide handbook calendar schedule agenda log tracker checklist
    protocol policy overview template
    """.split()
)
_TITLES = frozenset("mr mrs ms miss mx dr prof professor coach principal dean superintendent sr sister brother".split())
_STAFF_ROLES = frozenset(
    """
    principal principals teacher teachers coach coaches colleague colleagues counselor counsellor superintendent
    director specialist interventionist librarian para paraprofessional paraeducator nurse psychologist
    administrator assistant ap chair lead leader mentor author authors researcher researchers educator
    educators consultant facilitator presenter dean secretary staff co-teacher coteacher aide therapist
    pathologist instructor professor dr mr mrs ms mx miss coordinator manager member members host
    """.split()
)
# What adults do to, for or about students; as the first verb after a name, it marks staff.
_ADULT_VERBS = frozenset(
    """
    taught teaches teach coached coaches led leads facilitated facilitates presented presents modeled models
    modelled observed observes reviewed reviews analyzed analyses analysed planned plans designed designs
    co-taught mentored mentors supervised supervises trained trains administered administers graded grades
    collected tracked tracks organized organised developed develops emailed conferenced hosted hosts
    chaired chairs drafted drafts approved approves evaluated evaluates introduced introduces
    """.split()
)
# What a student is, next to a name ("one student, Maya"; "Maya, a fourth grader").
_STUDENT_NOUNS = frozenset(
    """
    student students pupil pupils child kid learner learners grader graders kindergartner kindergartener
    kindergartners kindergarteners freshman sophomore junior senior son daughter kids
    """.split()
)
_ONE_STUDENT = _STUDENT_NOUNS - {"students", "pupils", "learners", "graders", "kindergartners", "kindergarteners", "kids"}
# Student records a name can own ("Maya's IEP").
_STUDENT_POSSESSIONS = frozenset(
    """
    iep 504 reading lexile score scores grade grades test tests mother father mom dad parents parent family
    guardian behavior behaviour attendance accommodations accommodation fluency progress report level levels
    assessment absences tardies referral referrals diagnosis disability plan map rit dra wpm
    """.split()
)
# Words after a name (same sentence, a few tokens on) that make it a student's.
_STUDENT_AFTER = frozenset(
    """
    scored scores earned tested failed passed qualified qualifies qualify struggles struggled struggling
    iep ieps 504 ell esl esol lexile dra rit wpm suspended suspension detention tardy absent
    adhd autism autistic dyslexia dyslexic diagnosed diagnosis
    """.split()
)
_STUDENT_AFTER_PHRASES = (
    "reading level", "grade level", "below grade", "on grade", "above grade", "words per minute",
    "was absent", "is absent", "was referred", "has an iep", "has a 504", "receives ell", "receives esl",
    "speech services", "behavior plan", "free lunch", "reduced lunch", "reads at", "is reading", "was reading",
    "were reading", "are reading", "correct per minute",
)
# Cues in a roster row that the row is about a student. A grade level is not one: teachers
# teach grades too ("Ana Flores | Grade 4 | 12 years").
_ROW_CUES = re.compile(
    r"(?<![\w-])(?:IEP|504|ELLs?|ESL|ESOL|LEP|FRL|free/reduced|free or reduced|Lexile|DRA|RIT|DIBELS|i-?Ready|"
    r"F&P|reading level|guided reading|proficient|below basic|basic|advanced|approaching|"
    r"DOB|D\.O\.B\.?|date of birth|birth\s*date|wpm|level\s+[A-Z]|tier\s*[123])(?![\w-])",
    re.I,
)
# "Student-led discussion", "child-centred": a compound names an activity, not a column of students.
_HEADER_STUDENT = re.compile(r"\b(?:student|pupil|child)(?:'?s)?(?:\s+(?:full\s+|first\s+|last\s+)?names?)?\b(?![-‐]\w)(?!\s+(?-i:[a-z]))", re.I)
_HEADER_VOCAB = re.compile(
    r"\b(?:grade|gr|dob|birth|id|score|scores|level|reading|math|iep|504|ell|fall|winter|spring|lexile|rit|"
    r"age|teacher|notes?|homeroom|attendance|name|number|lunch|scale|proficiency|tier)\b",
    re.I,
)
_HEADER_DOB = re.compile(r"\b(?:dob|d\.o\.b\.?|birth)", re.I)
_HEADER_ID = re.compile(r"\b(?:id|i\.d\.|student\s*(?:#|no\.?|number)|sis|mosis|ssid|lunch)\b|#", re.I)
_HEADER_NAME = re.compile(r"\b(?:student|pupil|child|name)\b", re.I)

# ---------------------------------------------------------------- regular patterns

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_PHONE = re.compile(r"(?<![\w/.-])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w/-]|\.\d)")
_PHONE_LABELLED = re.compile(
    r"\b(?:phone|cell|tel|telephone|mobile|home|work|call|text)\b\.?\s*(?:#|no\.?|number)?\s*[:#-]?\s*"
    r"(?P<num>\d{3}[ .-]\d{4})(?![\w/-]|\.\d)",
    re.I,
)
_STAFF_NUMBER = re.compile(r"\b(?:employee|staff|teacher|educator|certificate|certification|license|licence|course|room|page|item|unit|lesson)\s*$", re.I)
_ID = re.compile(
    r"\b(?P<label>(?:student|stu\.?|pupil|learner|state|lunch|MOSIS|SIS|district|local|school)\s*"
    r"(?:ID|I\.D\.|identification|number|no\.|num|#|PIN|code)|SSID|MOSIS|ID|I\.D\.|student\s*#)"
    r"(?:\s*(?:number|no\.|num|#))?\s*[:#=-]?\s*(?P<num>[A-Z]{0,2}\d[\d-]{2,12}\d)\b",
    re.I,
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}})"
)
_DATE_RE = re.compile(rf"(?<![\w/.-]){_DATE}(?![\w/-])")
_DOB = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)(?:\s+(?:is|was))?\s*[:\-–]?\s*"
    rf"(?P<date>{_DATE})(?![\w/-])",
    re.I,
)
_LABELLED_NAME = re.compile(
    rf"\b(?P<label>(?:student|pupil|child)(?:'?s)?(?:\s+(?:full\s+|first\s+|last\s+)?name)?|name)(?::|[ \t]+[-–]|[ \t]*\t)[ \t]*"
    rf"(?P<name>(?-i:{_LAST_FIRST}|{_NAME}))\b",
    re.I,
)
_ATTACHED_PAREN = re.compile(
    rf"(?P<name>(?-i:{_NAME}))\s*\(\s*(?P<has>(?:has|on)\s+(?:an?\s+)?(?=IEP|504|ADHD|ELL|behavior))?(?:(?:grade|gr\.?)\s*(?:K|\d{{1,2}})\b|(?:K|\d{{1,2}})(?:st|nd|rd|th)\s+grade|"
    rf"age\s*\d{{1,2}}\b|\d{{1,2}}\s*(?:yrs?|years?)\b|IEP|504|ELL|ESL|EL\b|(?<=has a )ADHD|(?<=on a )behavior)",
    re.I,
)
# In brackets after a name, what a teacher teaches: a subject (with or without a grade) or a role.
_TEACHING = re.compile(
    r"\b(?:teach\w*|ELA|math\w*|science|SS|social studies|history|English|Spanish|French|SPED|special ed\w*|"
    r"art|music|PE|band|choir|coach|chair|dept|department|team lead|interventionist|counsel\w*|caseloads?)\b", re.I)
# A heading over a list of adults, in the few lines before a name.
# Words that head or introduce a list of adults.
_ADULT_GROUPS = r"members?|participants|led by|facilitators?|presenters?|teachers|staff|committee|attendees|hosts?"
_STAFF_LIST = re.compile(r"(?:^|\n)\s*(?:" + _ADULT_GROUPS + r"|present)\s*:?\s*(?:\n|$)", re.I)
# A table's heading row over adults: a short line naming an adult group ("PL Committee member Role").
_STAFF_HEADING = re.compile(r"(?:^|\n)(?P<line>[^\n.!?]{0,60}\b(?:" + _ADULT_GROUPS + r")\b[^\n.!?]{0,40})\n", re.I)
# Words in the lead-in of a list of adults: "The design team (volunteers: Nora Ashby K, ...)",
# "Three lab classrooms open their doors on Fridays: Ruiz (grade 2), ..." (a classroom is its teacher's).
_INTRO_GROUPS = frozenset("""
member members participants facilitator facilitators presenter presenters teacher teachers staff committee
attendees host hosts team teams council volunteers classrooms led
""".split())
_YEAR_CITATION = re.compile(r"^\s*(?:\(\s*\d{4}|,\s*\d{4}\b|et\s+al\b|\(\s*[a-z]+\.?\s+\d{4})", re.I)


# ---------------------------------------------------------------- helpers


def _lines(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _cells(line: str) -> list[tuple[int, str]] | None:
    """(offset, cell) for a line written as table cells (``a | b`` or tab-separated)."""
    sep = " | " if " | " in line else ("\t" if "\t" in line else None)
    if sep is None:
        return None
    out: list[tuple[int, str]] = []
    pos = 0
    for raw in line.split(sep):
        lead = len(raw) - len(raw.lstrip())
        out.append((pos + lead, raw.strip()))
        pos += len(raw) + len(sep)
    return out


def _trim_name(candidate: str) -> str | None:
    """The candidate without trailing non-name words ("Jayden Brooks  Grade" -> "Jayden
    Brooks"), or None when what is left is not a name."""
    words = candidate.split()
    while words and not _is_name(" ".join(words)):
        if words[-1].strip(",.").lower() not in _NOT_NAMES | _STAFF_ROLES and not re.search(r"\d", words[-1]):
            return None
        words.pop()
    return candidate[: candidate.index(words[-1]) + len(words[-1])] if words else None


# Endings of English common nouns and adjectives that are not names: a capitalised title
# ("Proportional Relationships (Grade 7)", "Assessment Results (grade 3)") is not a person.
_NOT_NAME_ENDING = re.compile(r"(?:tion|sion|ment|ments|ness|ity|ship|ships|ance|ence|ism|ology|ous|ive|ful|less|able|ible|ics)$")


# "Standards-based", "Follow-up", "Check-in": a hyphen before a lower-case part joins a compound
# word; names join capitalised parts ("Smith-Jones", "Mary-Kate").
_COMPOUND_WORD = re.compile(r"[A-Za-z]+[-‐][a-z]")


# Cooperative-learning structures named like people (Kagan's "Rally Robin"), which scripted
# lesson notes write where a speaker's name would go ("9:18 Rally Robin: 'Name a word with sh.'").
_STRUCTURES = frozenset({"rally robin", "round robin", "rally coach", "quiz quiz trade", "numbered heads",
                         "timed pair share", "mix pair share", "rally table", "round table", "jot thoughts"})


def _is_name(candidate: str) -> bool:
    if _COMPOUND_WORD.search(candidate) or re.search(r"\d", candidate):
        return False  # "Standards-based"; "K-5", "Grade 4": a name has neither
    words = [w.strip(",.").lower() for w in re.split(r"[\s,]+", candidate) if w.strip(",.")]
    if not words or len(words) > 3 or " ".join(words) in _STRUCTURES:
        return False
    if any(len(w) >= 8 and _NOT_NAME_ENDING.search(w) for w in words):
        return False
    return not any(w in _NOT_NAMES or w in _STAFF_ROLES for w in words)


def _prose(line: str) -> bool:
    words = line.split()
    digits = sum(1 for w in words if any(c.isdigit() for c in w))
    return len(words) >= 10 and digits / len(words) < 0.2


def _data_token(tok: str) -> bool:
    t = tok.strip(",;()")
    return bool(re.search(r"\d", t)) or t.upper() in {"Y", "N", "YES", "NO", "K", "IEP", "504", "ELL", "ESL", "-", "—", "X"} or (
        len(t) == 1 and t.isupper()  # a letter grade or level; "a" is an article ("Interpret a point")
    ) or t.lower() in {"proficient", "basic", "advanced", "below", "approaching", "meets", "exceeds", "level", "tier"}


def _birth_year_plausible(year: int, today: date) -> bool:
    return today.year - 22 <= year <= today.year - 3


def _year_of(date_text: str) -> int | None:
    m = re.search(r"\d{4}", date_text)
    if m:
        return int(m.group())
    m = re.search(r"[/.-](\d{2})$", date_text)
    if m:
        yy = int(m.group(1))
        return 2000 + yy if yy <= date.today().year % 100 else 1900 + yy
    return None


class _Collector:
    """Findings by span; a wider or surer finding replaces an overlapping one. Spans are short,
    so overlaps are looked for among nearby starts only (a page with thousands of addresses
    stays linear, not quadratic)."""

    _REACH = 512  # no finding is longer than this

    def __init__(self, kinds: frozenset[str]) -> None:
        self.kinds = kinds
        self.items: list[Finding] = []
        self._starts: list[tuple[int, int]] = []  # (char_start, index in items), sorted

    def add(self, kind: str, start: int, end: int, confidence: float, reason: str) -> None:
        if kind not in self.kinds or end <= start or end - start > self._REACH:
            return
        lo = bisect.bisect_left(self._starts, (start - self._REACH, -1))
        hi = bisect.bisect_left(self._starts, (end, -1))
        for _, i in self._starts[lo:hi]:
            f = self.items[i]
            if f.char_start < end and start < f.char_end:
                if (confidence, end - start) > (f.confidence, f.char_end - f.char_start):
                    same = f.kind == kind
                    self.items[i] = Finding(kind, min(start, f.char_start) if same else start,
                                            max(end, f.char_end) if same else end, confidence, reason)
                    self._starts.remove((f.char_start, i))
                    bisect.insort(self._starts, (self.items[i].char_start, i))
                return
        self.items.append(Finding(kind, start, end, confidence, reason))
        bisect.insort(self._starts, (start, len(self.items) - 1))

    def result(self) -> list[Finding]:
        return sorted(self.items, key=lambda f: (f.char_start, f.char_end))


# ---------------------------------------------------------------- pattern rules


# Whose contact details: an adult's role or title (_STAFF_ROLES) on the same line or the two
# before it (a signature block: "Tammy Keller, Principal" over "tkeller@... | (573) 555-0122"),
# and no student or family word there, marks the candidate's or a colleague's own details.
_CLASS_YEARS = frozenset("freshman sophomore junior senior".split())  # "Current River Junior High"
_FAMILY = frozenset("parent parents guardian guardians family families mom dad mother father children".split())
# An office held by an adult, on the contact's own line: the school community's officers are
# listed with their contact details so that families can reach them, a parent in that role too.
_OFFICES = frozenset("president vice-president treasurer pto pta ptsa trustee trustees".split())
# Who made or answers for a document, on a line over its contact details: "Approved by the
# Building Leadership Team on July 28, (nfarrell@…, 816-555-0143)", "Questions: Grant Pehrson,
# gpehrson@…". A document's owner is an adult; a student's or family's contact line says so.
_PROVENANCE = re.compile(
    r"\b(?:(?:approved|prepared|developed|designed|created|written|compiled|drafted|submitted|maintained|updated)\s+(?:by|with)"
    r"|questions?\s*(?:[:?]|to\b|about\b)|direct questions|contact\s*:)", re.I)
# A grade range ("attends grade 2-5 data teams") is a team's or a school's span, not one student's grade.
_STUDENT_MARK = re.compile(r"\b(?:grade\s*\d+(?!\s*[-–]\s*\d)|\d+(?:st|nd|rd|th)\s+grade|DOB|IEP|504)\b", re.I)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*", text)}


_SCHOOL = r"elementary|middle|junior\s*[-/]\s*senior\s+high|junior\s+high|senior\s+high|high\s+school|academy|schools?"
# A school or district on a contact line: a person giving their affiliation, as staff sign
# ("Tom Greathouse, Bluestem Elementary, Lamine River R-II. tg@…"); a student's contact line
# names a grade or a family member instead.
_AFFILIATION = re.compile(rf"\b(?:{_SCHOOL}|district|R-[IVX]+|C-\d+)\b", re.I)
# A school's name after a comma, in lower-cased tokens: "riverbluff junior high", "bluestem elementary".
_SCHOOL_AFTER = re.compile(rf"(?:[a-z'.-]+ ){{1,3}}(?:{_SCHOOL})\b")


# A count of students or families is the school's profile, not a student's details: "Crooked
# Creek Junior High School (grades 7-8, 540 students)" heads the principal's own contact line.
_COUNT = re.compile(r"\b\d[\d,]*\s+(?:[a-z-]+\s+)?(?:students|pupils|learners|kids|children|families|parents)\b", re.I)


# The writer giving their own details: "I can be reached at …", "email me at …", "my cell is …".
_FIRST_PERSON_CONTACT = re.compile(
    r"\b(?:i can be reached|i am reachable|i'm reachable|reach me|contact me|email me|e-mail me|call me|text me"
    r"|write to me|my (?:e-?mail|cell|phone|number|office|address)(?: (?:is|number|address))?)\b", re.I)


def _own_contact(text: str, start: int) -> bool:
    """Whether the sentence before the address or number gives it as the writer's own: the
    candidate is an adult, whatever else the paragraph says about students."""
    tail = _PHONE.sub(" ", _EMAIL.sub(" ", text[max(0, start - 200) : start]))
    return bool(_FIRST_PERSON_CONTACT.search(re.split(r"[.!?\n]", tail)[-1]))


def _adult_contact(text: str, start: int) -> bool:
    if _own_contact(text, start):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    for _ in range(2):  # the two lines before
        if line_start > 0:
            line_start = text.rfind("\n", 0, line_start - 1) + 1
    line_end = text.find("\n", start)
    context = text[line_start : line_end if line_end >= 0 else len(text)]
    own_start = text.rfind("\n", 0, start) + 1
    own = text[own_start : line_end if line_end >= 0 else len(text)]
    if not re.sub(r"[\W_]+", "", _PHONE.sub("", _EMAIL.sub("", own))) and own_start > 0:
        # a line of contact details alone continues the line above it (a PDF wraps "… R-V.
        # hwendt@…" onto "| (417) 555-0173"): that line says whose they are
        own = text[text.rfind("\n", 0, own_start - 1) + 1 : line_end if line_end >= 0 else len(text)]
    for mine, lines in ((True, own), (False, context)):  # its own line first: "Approved: G. Vance, Principal | g@… | 555…"
        lines = _COUNT.sub(" ", lines)
        words = _words(lines)
        if mine and words & _OFFICES:
            return True  # "Family partner on the PBIS team: Gina Castellanos, PTO president, (660) 555-0172"
        if words & (_STUDENT_NOUNS - _CLASS_YEARS | _FAMILY) or _STUDENT_MARK.search(lines):
            return False
        if words & _STAFF_ROLES or mine and _AFFILIATION.search(lines) or _PROVENANCE.search(lines):
            return True
        if mine and _signed(text[max(0, own_start - 40) : line_end if line_end >= 0 else len(text)]):
            return True
    return _named_address(text, own_start, own) or _byline(text, own_start, own)


def _named_address(text: str, line_start: int, line: str) -> bool:
    """Whether an address on the line is made from a first name and a surname both written
    within three lines of it, on either side: a slide or letterhead laid out in columns breaks
    "Gina Castellano, Principal | gcastellano@…" into "- Gina", "gcastellano@… | (636) 555-0119",
    "Castellano,", "Principal". The lines were already read for students and families."""
    locals_ = {re.sub(r"[^a-z]", "", m.group().split("@")[0].lower()) for m in _EMAIL.finditer(line)}
    if not locals_:
        return False
    before = text[:line_start].split("\n")[-3:]
    after = text[line_start:].split("\n")[1:4]
    names = {w.lower() for w in re.findall(r"\b[A-Z][a-z'-]+\b", "\n".join(before + after))}
    return any(local in _made_from(a, b) for local in locals_ for a in names for b in names if a != b)


# A full name, then on the same line (a school between, at most) an e-mail address; a lookahead,
# so that every pair of capitalised words is tried ("Glenn Haverkamp, Shoal Creek K-8, ghaverkamp@").
_SIGNED = re.compile(r"(?=\b([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\b[^@\n]{0,60}?(?<![\w.%+-])([A-Za-z0-9._%+-]+)@)")


def _signed(lines: str) -> bool:
    """Whether a full name is followed by an address made from it ("Keisha Abernathy,
    kabernathy@…", "tom.nguyen@…", "Glenn Haverkamp, Shoal Creek K-8, ghaverkamp@…"): a person
    signing with their own details, the way staff close a note or a form or a candidate heads
    a document. A student roster says grade, scores or "student" on the line, which is judged
    before this."""
    for m in _SIGNED.finditer(lines):
        first, last = m.group(1).lower(), m.group(2).lower()
        local = re.sub(r"[^a-z]", "", m.group(3).lower())
        if local in _made_from(first, last) | {first, last}:
            return True
    return False


def _made_from(first: str, last: str) -> set[str]:
    """The local parts of an address made from a first name and a surname (lower case, letters
    only): "kabernathy", "keishaabernathy", "abernathyk", "abernathykeisha"."""
    return {first[0] + last, first + last, last + first[0], last + first}


_FULL_NAME = re.compile(r"[A-Z][a-z'.-]+(?:\s+[A-Z][A-Za-z'.-]+){1,2}")  # a titled name is staff already


def _byline(text: str, line_start: int, line: str) -> bool:
    """One person's name and contact details on a line of their own at the head of a text,
    before any prose ("Shauna Kettering | skettering@… | (816) 555-0164" under the title of a
    reflection): the author's byline. A directory has several such lines, and a student's
    contact line sits among prose about the student."""
    head = text[:line_start].split("\n")
    if any(_prose(earlier) for earlier in head):
        return False
    following = [t for t in text[line_start:].split("\n")[1:] if t.strip()][:1]
    if any(_EMAIL.search(other) or _PHONE.search(other) for other in [*head, *following]):
        return False  # a list of contact lines: a directory, not one author's byline
    rest = [c for c in re.split(r"\s*[|,;·•]\s*|\s{2,}", _PHONE.sub("", _EMAIL.sub("", line)).strip()) if c]
    return len(rest) == 1 and bool(_FULL_NAME.fullmatch(rest[0])) and _is_name(rest[0])


# What joins one person's or office's contact details into one: "nvoss@… or (660) 555-0171",
# "glund@…, (573) 555-0128", "call the office at (660) 555-0178 or e-mail me at k@…".
_CONTACT_JOIN = re.compile(
    r"[\s,;|/·•()–-]*(?:(?:or|and)\b[\s,]*)?(?:(?:by\s+)?(?:e-?mail|phone|call|text|cell|tel|fax|office|reach)\b"
    r"(?:\s+(?:me|us|the\s+office))?\s*(?:at\b|:)?[\s,]*)?", re.I)
# A school's or district's own line: "call the office at …", "main office: …" is not a student's.
_OFFICE_LINE = re.compile(
    r"\b(?:(?:call|contact|reach|phone)\s+(?:the\s+)?(?:main\s+|front\s+|school\s+|district\s+|attendance\s+)?office"
    r"|(?:main|front|school|district|attendance)\s+office)\b[^.!?\n]{0,20}$", re.I)


def contact_groups(text: str) -> list[list[re.Match[str]]]:
    """E-mail addresses and phone numbers in ``text``, grouped where nothing but a connector
    stands between them: one person's or office's details, given together in one sentence."""
    found = sorted((*_EMAIL.finditer(text), *_PHONE.finditer(text)), key=lambda m: m.start())
    groups: list[list[re.Match[str]]] = []
    for m in found:
        if groups and _CONTACT_JOIN.fullmatch(text, groups[-1][-1].end(), m.start()):
            groups[-1].append(m)
        else:
            groups.append([m])
    return groups


def _office_contact(text: str, start: int) -> bool:
    return bool(_OFFICE_LINE.search(text[max(0, start - 80) : start]))


def _contact(text: str, out: _Collector) -> None:
    for group in contact_groups(text):
        if any(_adult_contact(text, m.start()) or _office_contact(text, m.start()) for m in group):
            continue  # one adult's (or the school office's) details, however each is introduced
        for m in group:
            if m.re is _EMAIL:
                out.add("email", m.start(), m.end(), 0.95, "email address")
            else:
                out.add("phone", m.start(), m.end(), 0.9, "phone number pattern")
    for m in _PHONE_LABELLED.finditer(text):
        if not _adult_contact(text, m.start()):
            out.add("phone", m.start("num"), m.end("num"), 0.8, "seven-digit number labelled as a phone")


def _ids_and_dobs(text: str, out: _Collector) -> None:
    for m in _ID.finditer(text):
        before = text[max(0, m.start() - 25) : m.start()]
        label = m.group("label")
        if _STAFF_NUMBER.search(before) and label.upper() in {"ID", "I.D.", "#"}:
            continue  # "employee ID 5521", "room # 204"
        num = m.group("num")
        if re.fullmatch(r"\d{3}-\d{3}-\d{4}|\d{3}-\d{4}", num):
            continue  # a phone number, which the phone rule reports
        out.add("student_id", m.start("num"), m.end("num"), 0.9, f"number labelled {label.strip()}")
    for m in _DOB.finditer(text):
        out.add("date_of_birth", m.start("date"), m.end("date"), 0.95, "date labelled as a birth date")


# A person's name with a long number in brackets after it, "Kaylee Dorsey (#2031457)": how a
# school's student information system writes a student, and how reteach-group and intervention
# lists copied from it keep them. A room or an item is not five digits long.
_NUMBERED_NAME = re.compile(
    r"\b(?P<name>[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?\s+[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?)\s*"
    r"\(\s*(?:ID\s*)?#?\s*(?P<num>\d{5,10})\s*\)")


def _numbered_names(text: str, out: _Collector) -> None:
    for m in _NUMBERED_NAME.finditer(text):
        if _is_name(m.group("name")):
            out.add("student_name", m.start("name"), m.end("name"), 0.9, "name with a student number")
            out.add("student_id", m.start("num"), m.end("num"), 0.9, "number in brackets after a name")


# Words that make what precedes "students:" a phrase about students rather than a field's
# qualifier ("Focus student:", "Case study student:").
_PHRASE_WORDS = frozenset("all for of the our every each with to and by in on from about".split())


def _labelled_names(text: str, out: _Collector) -> None:
    for m in _LABELLED_NAME.finditer(text):
        name = _trim_name(m.group("name"))
        if name is None:
            continue
        lead = re.split(r"[|\t•·]|[.;!?]\s|^\s*[-*]", text[text.rfind("\n", 0, m.start()) + 1 : m.start()])[-1].split()
        if len(lead) > 2 or _words(" ".join(lead)) & _PHRASE_WORDS:
            continue  # a topic, not a field: "Access for all students: Lorena Villalobos reported …"
        if m.group("label").lower() == "name":
            # "Name:" alone names a student only on a student record, and only when nothing
            # qualifies it ("Candidate name:", "Teacher Name:"): look before and around it.
            line_before = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
            if line_before.strip() and not re.search(r"[|\t]\s*$", line_before):
                continue
            around = text[max(0, m.start() - 200) : m.end() + 200]
            if not (_ROW_CUES.search(around) or re.search(r"\bstudent|\bpupil|\bID\b", around, re.I)):
                continue
        out.add("student_name", m.start("name"), m.start("name") + len(name), 0.95, f"labelled “{m.group('label').strip()}”")
    for m in _ATTACHED_PAREN.finditer(text):
        name = m.group("name")
        if not _is_name(name) or _titled(text, m.start("name")):
            continue
        close = text.find(")", m.end())
        inside = text[m.end("name") : close if 0 <= close - m.end() < 60 else m.end()]
        if _TEACHING.search(inside) or re.search(r"\b(?:el|esl|ell)\b", inside) and not re.search(r"\b(?:EL|ESL|ELL)\b", inside):
            continue  # "Ana Trujillo (gr 2 Spanish)", "Whitney Ruiz (ELA 8)": what a teacher teaches; "(el Puente)"
        if _in_staff_list(text, m.start()) or _listed_with_role(text, m.start("name"), m.end("name")):
            continue  # under "Members", "Participants", "Led by", after "Team:": a list of adults, "(Gr 3)" their assignment
        if m.group("has"):
            # a record the person has: "Landon (has a 504 plan for ADHD, seated by door)"; a
            # teacher's assignment is never written so
            out.add("student_name", m.start("name"), m.end("name"), 0.85, "name with a student's record in brackets")
            continue
        # as unsure as a cue in the clause: teachers' assignments are written the same way ("Meg Oberle (Gr 5)")
        out.add("student_name", m.start("name"), m.end("name"), 0.65, "name with a grade, age or program in brackets")


# Scripted observation notes: the teacher is "T:" and the students speak under their own names
# ("T: 'Caden Voss, what do we multiply by?' Caden: 'Three, because 4 times 3 is 12.'").
_QUOTE = "['‘“\"]"
_TEACHER_SPEAKS = re.compile(rf"(?<![\w.])(?:T|Teacher)\s*:\s*{_QUOTE}")
_SPEAKER = re.compile(rf"(?<![\w.'’])(?P<name>(?-i:{_NAME}))\s*:\s*{_QUOTE}")
_ADDRESSED = re.compile(rf"(?<![\w.])(?:T|Teacher)\s*:\s*{_QUOTE}(?P<name>(?-i:{_NAME}))\s*,")


def _scripted_talk(text: str, out: _Collector) -> None:
    """Names that speak, or that the teacher addresses, in notes scripted beside a teacher
    labelled "T:": in such notes the other speakers are the students."""
    if not _TEACHER_SPEAKS.search(text):
        return
    for rx, reason in ((_SPEAKER, "a name speaking beside the teacher (T:) in scripted notes"),
                       (_ADDRESSED, "a name the teacher (T:) addresses in scripted notes")):
        for m in rx.finditer(text):
            name = m.group("name")
            if rx is _SPEAKER and not _opens_turn(text, m.start("name")):
                continue
            if name not in ("T", "Teacher") and _is_name(name) and not _titled(text, m.start("name")):
                out.add("student_name", m.start("name"), m.end("name"), 0.85, reason)


_TIME_STAMP_BEFORE = re.compile(r"\b\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?\s*[-–—]?$", re.I)


def _opens_turn(text: str, start: int) -> bool:
    """Whether a speaker's label at ``start`` opens a turn of scripted talk: at the start of a line,
    after a time stamp, or after the turn before it ends ("... 12.' Caden: 'Three'"). Mid-clause,
    a word before a colon and a quote is part of the sentence ("posted in English and Spanish:
    'I can predict ...'")."""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in "\n.!?\"'“”‘’)]*•-–—" or bool(_TIME_STAMP_BEFORE.search(before))


def _titled(text: str, start: int) -> bool:
    before = text[max(0, start - 16) : start].lower()
    m = re.search(r"([a-z]+)\.?\s*$", before)
    return bool(m and m.group(1) in _TITLES)


# ---------------------------------------------------------------- rosters


@dataclass
class _Table:
    student: bool = False
    staff: bool = False  # a table of teachers or staff: rows are never taken for students by cues
    name_cols: tuple[int, ...] = ()
    dob_cols: tuple[int, ...] = ()
    id_cols: tuple[int, ...] = ()
    dob_header: bool = False


_STAFF_HEADER = re.compile(r"(?:teachers?|staff|educators?|coach(?:es)?|members?|presenters?|facilitators?|hosts?|leads?)", re.I)
_ROLE_HEADER = re.compile(r"\b(?:role|position|title|job|assignment)s?\b", re.I)


def _phrase_before(line: str, at: int) -> bool:
    """Whether the word before ``at`` makes what follows a phrase ("percent of students",
    "for all students"), not a column's name."""
    before = line[:at].split()
    return bool(before) and before[-1].lower().strip("(") in _PHRASE_WORDS


def _header(line: str, cells: list[tuple[int, str]] | None) -> _Table | None:
    if re.search(r"\d", line):
        return None
    first = cells[0][1] if cells else (line.split() or [""])[0]
    if _STAFF_HEADER.fullmatch(first) or (cells is not None and any(_ROLE_HEADER.fullmatch(c) for _, c in cells)):
        return _Table(staff=True)
    if not any(not _phrase_before(line, m.start()) for m in _HEADER_STUDENT.finditer(line)):
        return None  # no student column; "Results by teacher (percent of students Secure)" is a title
    if cells is None and not _HEADER_VOCAB.search(_HEADER_STUDENT.sub(" ", line)):
        return None
    if cells is not None and not any(_HEADER_STUDENT.fullmatch(c) or _HEADER_NAME.fullmatch(c) for _, c in cells):
        return None
    t = _Table(student=True, dob_header=bool(_HEADER_DOB.search(line)))
    if cells is not None:
        t.name_cols = tuple(i for i, (_, c) in enumerate(cells) if _HEADER_STUDENT.fullmatch(c) or re.fullmatch(r"(?:first|last|full)?\s*names?", c, re.I))
        t.dob_cols = tuple(i for i, (_, c) in enumerate(cells) if _HEADER_DOB.search(c))
        t.id_cols = tuple(i for i, (_, c) in enumerate(cells) if _HEADER_ID.search(c) and not _HEADER_DOB.search(c))
    return t


def _row_values(line: str, base: int, table: _Table | None, out: _Collector, today: date, confidence: float) -> None:
    """IDs and birth dates in a row already known to be a student's."""
    for m in _DATE_RE.finditer(line):
        year = _year_of(m.group())
        if (table is not None and table.dob_header) or (year is not None and _birth_year_plausible(year, today)):
            out.add("date_of_birth", base + m.start(), base + m.end(), confidence, "date in a student's roster row")
    for m in re.finditer(r"(?<![\w/.:-])\d{5,10}(?![\w/%.:-]|\.\d)", line):
        out.add("student_id", base + m.start(), base + m.end(), confidence - 0.1, "long number in a student's roster row")


def _rosters(text: str, out: _Collector, today: date) -> None:
    table: _Table | None = None
    for base, line in _lines(text):
        if not line.strip():
            continue  # DOCX tables put blank lines between rows
        cells = _cells(line)
        head = _header(line, cells)
        if head is not None:
            table = head
            continue
        if cells is None and _prose(line):
            table = None
            continue
        cued = bool(_ROW_CUES.search(line)) and not (table is not None and table.staff)
        if cells is not None:
            if table is not None and table.name_cols:
                picks = [cells[i] for i in table.name_cols if i < len(cells)]
            else:
                picks = [c for c in cells if _NAME_CELL.fullmatch(c[1])][:1]
            named = False
            for off, cell in picks:
                if _NAME_CELL.fullmatch(cell) and _is_name(cell) and (table is not None and table.student or cued):
                    if _role_in(line):
                        continue
                    conf = 0.9 if table is not None and table.student else 0.75
                    out.add("student_name", base + off, base + off + len(cell), conf, "name in a student roster row")
                    named = True
            if named:
                for i, (off, cell) in enumerate(cells):
                    if table is not None and i in table.dob_cols and _DATE_RE.search(cell):
                        m = _DATE_RE.search(cell)
                        out.add("date_of_birth", base + off + m.start(), base + off + m.end(), 0.9, "date under a birth-date column")
                    elif table is not None and i in table.id_cols and re.fullmatch(r"[A-Z]{0,2}\d[\d-]{2,12}", cell):
                        out.add("student_id", base + off, base + off + len(cell), 0.9, "number under an ID column")
                _row_values(line, base, table, out, today, 0.8)
            continue
        # A row of a table extracted from a PDF: a name, then data.
        m = re.match(rf"\s*(?P<name>{_LAST_FIRST}|{_NAME})\s+(?P<rest>\S.*)$", line)
        if not m or not _is_name(m.group("name")):
            continue
        rest = m.group("rest").split()
        if _words(m.group("rest")) & (_STUDENT_NOUNS - _ONE_STUDENT):
            continue  # a count of students is a line about a group: "Whiteboards x2: 19 of 21 students answered"
        # Under a header that names students, a full name followed at once by data (a period, a
        # score) is a row even when a free-text note column ends it ("Tyler Hensley 5 Pemberton
        # 2 / 4 Counterclaim named, no rebuttal"); elsewhere most of the row must be data.
        in_student_table = table is not None and table.student and len(m.group("name").split()) >= 2
        if not (in_student_table and any(_data_token(t) for t in rest[:2])) \
                and sum(_data_token(t) for t in rest) < max(1, 0.5 * len(rest)):
            continue
        if not ((table is not None and table.student) or cued) or _role_in(line):
            continue
        if not (table is not None and table.student) and len(m.group("name").split()) < 2:
            continue  # one capitalised word leading a line is too often not a name
        if not (table is not None and table.student) and (
                _in_staff_list(text, base + m.start("name"))
                or _listed_with_role(text, base + m.start("name"), base + m.end("name"))):
            continue  # "Lab hosts" over "Carmen Ruiz (ELL)": a teacher and what she teaches
        conf = 0.85 if table is not None and table.student else 0.7
        out.add("student_name", base + m.start("name"), base + m.end("name"), conf, "name leading a student roster row")
        _row_values(line, base, table, out, today, 0.75)


_COLUMN_ID = re.compile(r"[A-Z]{0,2}\d[\d-]{3,12}")


def _column_lists(text: str, out: _Collector, today: date) -> None:
    """A table that reached us column by column (PDF layouts often read so): a bare header
    line ("Student", "Student ID", "DOB") and then a run of lines that are each one value of the
    header's kind. The header must name students for names, so a column of staff is left alone."""
    lines = [(base, line.strip(), base + len(line) - len(line.lstrip())) for base, line in _lines(text) if line.strip()]
    for k, (_, header, _) in enumerate(lines):
        if len(header) > 30 or re.search(r"\d", header):
            continue
        if _HEADER_STUDENT.fullmatch(header) or re.fullmatch(r"(?:student|pupil)s?(?:'s)?\s+(?:first\s+|last\s+|full\s+)?names?", header, re.I) \
                or _student_header_row(header):
            kind, fits = "student_name", lambda v: bool(_NAME_CELL.fullmatch(v)) and _is_name(v)
        elif _HEADER_DOB.search(header):
            kind, fits = "date_of_birth", lambda v: bool(_DATE_RE.fullmatch(v))
        elif _HEADER_ID.search(header) and re.search(r"student|pupil|\bid\b|sis|ssid|mosis", header, re.I) \
                and _header_columns(header) is None:
            kind, fits = "student_id", lambda v: bool(_COLUMN_ID.fullmatch(v))
        elif (column := _student_column(header)) is not None:
            _rows_under(header, column, lines[k + 1 : k + 200], out)
            continue
        else:
            continue
        run = []
        following = lines[k + 1 : k + 200]
        # the rest of a header row that wrapped ("Student Period Teacher" / "Rubric score"), or
        # the next columns' headers read one per line ("Student DOB" / "Grade / teacher" /
        # "Acadience ORF (fall)"), at most three
        skipped = 0
        while following and skipped < 3 and _header_fragment(following[0][1]) and not fits(following[0][1]):
            following, skipped = following[1:], skipped + 1
        for _, value, start in following:
            if not fits(value):
                break
            run.append((start, value))
        if len(run) < 2:  # one value under a heading is too often a heading itself
            continue
        for start, value in run:
            out.add(kind, start, start + len(value), 0.85, f"value in a column headed “{header}”")


_COLUMN_WORDS = frozenset("period class section rubric comment comments date note notes group focus".split())


def _header_columns(line: str) -> list[str] | None:
    """A header row of two to six columns read as one line ("Group Student", "Student ID
    Teacher"), every column a column word; "Student ID" and "Student name" are one column each."""
    words = line.split()
    cols: list[str] = []
    for w in words:
        if cols and re.fullmatch(r"(?:student|pupil)s?", cols[-1], re.I) and re.fullmatch(r"id|#|no\.?|number|names?", w, re.I):
            cols[-1] += " " + w
        elif re.fullmatch(r"(?:student|pupil)s?", w, re.I) or w.lower() in _COLUMN_WORDS or _HEADER_VOCAB.fullmatch(w):
            cols.append(w)
        else:
            return None
    return cols if 2 <= len(cols) <= 6 else None


def _student_column(header: str) -> tuple[int, str] | None:
    """(index, 'name' or 'id') of the column that names or numbers students in a one-line header
    of several columns."""
    cols = _header_columns(header)
    if cols is None:
        return None
    for i, c in enumerate(cols):
        if re.fullmatch(r"(?:student|pupil)s?(?: names?)?", c, re.I):
            return i, "name"
        if re.fullmatch(r"(?:student|pupil)s? (?:id|#|no\.?|number)", c, re.I):
            return i, "id"
    return None


def _rows_under(header: str, column: tuple[int, str], following: list[tuple[int, str, int]], out: "_Collector") -> None:
    """Rows of a several-column table read line by line under its one-line header ("Group
    Student" / "A Kaden Morrow"; "Student ID Teacher" / "2031457 Auld"): the student column's
    value sits after one word per column before it. Two rows or more in a run, as for a column."""
    index, what = column
    run: list[tuple[int, str]] = []
    for _, value, start in following:
        tokens = list(re.finditer(r"\S+", value))
        if len(tokens) <= index:
            break
        first = tokens[index]
        if what == "id":
            if not _COLUMN_ID.fullmatch(first.group()):
                break
            run.append((start + first.start(), first.group()))
            continue
        found = None
        for width in (3, 2):
            if index + width <= len(tokens):
                cand = value[first.start() : tokens[index + width - 1].end()]
                if _NAME_CELL.fullmatch(cand) and _is_name(cand):
                    found = (start + first.start(), cand)
                    break
        if found is None:
            break
        run.append(found)
    if len(run) < 2:
        return
    kind = "student_id" if what == "id" else "student_name"
    for start, value in run:
        out.add(kind, start, start + len(value), 0.85, f"value in a column headed “{header}”")


def _names_columns(line: str) -> bool:
    """Every word of the line names a table column ("Rubric score")."""
    words = line.split()
    return bool(words) and all(w.lower() in _COLUMN_WORDS or _HEADER_VOCAB.fullmatch(w) for w in words)


def _header_fragment(line: str) -> bool:
    """A short line without figures that names a column: part of a table's header."""
    return len(line) <= 30 and not re.search(r"\d", line) and (_names_columns(line) or bool(_HEADER_VOCAB.search(line)))


def _student_header_row(line: str) -> bool:
    """A table's header row read as one line, its first column naming students ("Student Period
    Teacher", "Student DOB"): one more word or more, each naming a column ("Student ID" is one
    column)."""
    first, _, rest = line.partition(" ")
    return bool(rest) and bool(re.fullmatch(r"(?:student|pupil)s?", first, re.I)) and _names_columns(rest) \
        and not _HEADER_ID.match(rest.strip())  # "Student ID Teacher": its first column numbers students


def _role_in(line: str) -> bool:
    words = {w.lower().strip(".,:;()") for w in line.split()}
    return bool(words & (_STAFF_ROLES - {"lead", "host", "member", "members", "assistant", "staff"}))


# ---------------------------------------------------------------- names in prose (spaCy)


# Words that make a capitalised run an organisation's or a place's name, not a person's.
_ORG_WORDS = frozenset("""
school schools elementary middle high academy district team teams committee council department center centre
university college association board program programs programme inc llc group network foundation institute
services church county city river creek valley lake park hill hills r-ii r-i c-1 plc plcs club
""".split())


def _person_shaped(ent: "object") -> bool:
    """An entity the small tagger labelled an organisation that is shaped like a person's name:
    two or three name words and none of an organisation's ("Mason Threlkeld in Mr. Ybarra's
    room" comes back as an ORG as often as not)."""
    words = ent.text.split()  # type: ignore[attr-defined]
    return (ent.label_ == "ORG" and 2 <= len(words) <= 3  # type: ignore[attr-defined]
            and all(re.fullmatch(_NAME_WORD, w) for w in words)
            and not any(w.lower() in _ORG_WORDS for w in words) and _is_name(ent.text))  # type: ignore[attr-defined]


def _name_runs(doc: "Doc") -> Iterator[tuple[int, int, bool]]:
    """(first token, end token, is PERSON) for runs of proper nouns and for PERSON entities
    (and organisations shaped like a person's name)."""
    person = {}
    blocked: set[int] = set()
    for ent in doc.ents:
        if ent.label_ == "PERSON" or _person_shaped(ent):
            end = ent.end - 1 if ent[-1].text in ("'s", "’s", "'") and len(ent) > 1 else ent.end
            person[ent.start] = end
        elif ent.label_ in {"ORG", "FAC", "LOC", "NORP", "DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT", "LANGUAGE"}:
            blocked.update(range(ent.start, ent.end))
    i = 0
    n = len(doc)
    while i < n:
        if i in person:
            yield i, person[i], True
            i = person[i]
            continue
        tok = doc[i]
        if tok.tag_ in ("NNP", "NNPS") and i not in blocked and re.fullmatch(_NAME_WORD, tok.text):
            j = i
            while j < n and j not in person and doc[j].tag_ in ("NNP", "NNPS") and j not in blocked and re.fullmatch(_NAME_WORD, doc[j].text) and j - i < 3:
                j += 1
            yield i, j, False
            i = j
            continue
        i += 1


def _clause_before(doc: "Doc", start: int, width: int = 4) -> list[str]:
    out: list[str] = []
    for k in range(start - 1, max(-1, start - 1 - width), -1):
        t = doc[k]
        if t.text in {".", "!", "?", ";", ":"} or (t.is_space and "\n" in t.text):
            break
        out.append(t.text)
    return out


def _clause_after(doc: "Doc", end: int, width: int = 8) -> list["Token"]:
    out = []
    for k in range(end, min(len(doc), end + width)):
        t = doc[k]
        if t.text in {".", "!", "?", ";"} or t.is_space and "\n" in t.text:
            break
        out.append(t)
    return out


def _staff(doc: "Doc", start: int, end: int) -> bool:
    before = [w.lower().rstrip(".") for w in _clause_before(doc, start, 3)]
    if before and before[0] in _TITLES:
        return True
    # A role right before the name, or before a comma or bracket: "our principal Dana Ruiz", "the
    # counselor, Ana", "the assistant principal (Carla Jennings)".
    adjacent = before[1:2] if before[:1] in ([","], ["("]) else before[:1]
    if any(w in _STAFF_ROLES for w in adjacent):
        return True
    after = _clause_after(doc, end, 8)
    rest = doc.text[doc[end - 1].idx + len(doc[end - 1].text) : doc[end - 1].idx + len(doc[end - 1].text) + 20] if end <= len(doc) else ""
    if _YEAR_CITATION.match(rest):
        return True
    words = [t.lower_ for t in after]
    if words[:1] == [","] and any(w in _STAFF_ROLES for w in words[1:7]):
        return True  # an appositive: "Mr. Chen, the grade 8 team lead"
    if words[:1] == [","] and _SCHOOL_AFTER.match(" ".join(words[1:8])):
        # a person with their school, as staff head a document: "Gabriel Santangelo, Riverbluff
        # Junior High", "Beth Ann Kerr, Lone Elm Junior-Senior High School"
        return True
    if words[:1] in (["'s"], ["’s"]) and _possessed(words[1:]) in _TEACHER_POSSESSIONS:
        return True  # "Mr. Hale's class", "Damon Whitfield-Grey's grade 5 math lesson"
    for t in after:
        if t.pos_ == "VERB" or t.tag_.startswith("VB"):
            return t.lower_ in _ADULT_VERBS
    return False


_TEACHER_POSSESSIONS = frozenset(
    "class classes classroom team students room lesson lessons department plc homeroom course section kids".split())
# Between a possessive and what is possessed: a grade level and a subject ("'s grade 5 math lesson").
_CLASS_MODIFIERS = frozenset("""
grade th st nd rd ela math mathematics science reading writing english history social studies ss art music pe
algebra geometry biology chemistry physics spanish french band choir kindergarten honors ap ell esl sped -
""".split())


def _possessed(words: list[str]) -> str | None:
    """The head noun after a possessive, past a grade level and subject words."""
    for w in words[:6]:
        if w not in _CLASS_MODIFIERS and not w.isdigit() and not re.fullmatch(r"\d+(?:st|nd|rd|th)|[k\d]-\d+", w):
            return w
    return None


def _counted(tokens: "Sequence[Token]", k: int) -> bool:
    """Whether a number comes right before ``tokens[k]`` ("the 41 students", which a transcript
    writes "the 41 student's"): a count of students is a group, not the one the name is."""
    return k > 0 and (tokens[k - 1].tag_ == "CD" or tokens[k - 1].text == "%")  # "a seventh grader" is one


def _bracketed_leads(doc: "Doc", start: int) -> bool:
    """Whether the bracketed name at ``start`` follows another bracketed name a few words back: a
    list of sessions or tasks, each with who leads it ("Discussion protocols (Tom Nguyen) /
    Language supports for English learners (Rosa Delgado)"), not a student described."""
    window = doc[max(0, start - 24) : start - 1]
    for k, tok in enumerate(window[:-2]):
        if tok.text == "(" and window[k + 1].tag_ == "NNP":
            close = next((j for j in range(k + 2, min(len(window), k + 5)) if window[j].text == ")"), None)
            if close is not None and all(t.tag_ == "NNP" for t in window[k + 1 : close]):
                return True
    return False


def _not_one_student(tokens: "Sequence[Token]", k: int) -> bool:
    """Whether the student noun at ``k`` describes no one student: quantified ("…, every student
    wrote on a whiteboard") or the first part of a compound ("…, a student-friendly learning
    target")."""
    return (k >= 1 and tokens[k - 1].lower_ in _EVERY) or (k + 1 < len(tokens) and tokens[k + 1].text in {"-", "‐"})


def _one_of(doc: "Doc", noun: int) -> bool:
    """Whether the plural student noun at ``noun`` is the group one is picked from: "one of our
    fourth graders", "another of my students"."""
    words = [t.lower_ for t in doc[max(0, noun - 5) : noun]]
    return any(a in {"one", "another"} and b == "of" for a, b in zip(words, words[1:]))


def _counted_group(doc: "Doc", start: int, end: int) -> bool:
    """Names in brackets after a count of students, fewer names than the count: "34 students
    (Keller, Villalobos)", "check-in/check-out for 9 students (Jeter)" name the teachers or
    sections the students come from; "3 students (Maya, Jose, Liam)" names the students."""
    k = start - 1
    while k >= 0 and (doc[k].text in {",", "and", "&"} or doc[k].tag_ in ("NNP", "NNPS")):
        k -= 1  # back over the names listed before this one
    if k < 1 or doc[k].text != "(" or doc[k - 1].lower_ not in _STUDENT_NOUNS or not _counted(doc, k - 1):
        return False
    close = next((t.i for t in doc[k:min(len(doc), k + 20)] if t.text == ")"), None)
    if close is None:
        return False
    names = sum(1 for t in doc[k + 1 : close] if t.text in {",", "and", "&"}) + 1
    count = doc[k - 2].text.replace(",", "")
    return count.isdigit() and int(count) > names


# What a teacher leads or makes, heading the phrase a possessive names: "Rachel Pham's grade 8 ELA
# analysis", "Matt Siebert's fluency session", "Priya Nair's grade 4 morphology lab" are a
# colleague's work, and "Bellweather's assessment work" a school's; "Maya's reading level" is a
# student's record. A researcher's model heads it too: "Scarborough's reading rope", "Ehri's
# reading phases", "Guskey's assessment model" name a theory, not a child's reading; and so does
# a teacher's practice or class: "Jill Okafor's grade 1 blending routine", "Ross's grade 4 students".
_TEACHING_WORK = frozenset("""
session sessions lab labs lesson lessons class classes classroom classrooms analysis analyses workshop workshops
presentation presentations course courses cycle cycles demonstration demonstrations training trainings
department unit units room block blocks work
rope model models framework frameworks taxonomy hierarchy theory theories continuum phases stages pyramid
triangle matrix wheel ladder
routine routines instruction practice practices team teams students
""".split())


def _group_figure(tokens: list["Token"]) -> bool:
    """Whether the words give a count of students or a share of a whole: "Ruth Ann's grade 3
    results showed 78 percent of students secure" are a teacher's class's results, not one
    student's."""
    text = "".join(t.text_with_ws for t in tokens)
    return bool(_COUNT.search(text) or _SHARE.search(text))


def _teaching_work(tokens: list["Token"]) -> bool:
    """Whether the noun phrase that starts ``tokens`` (up to a finite verb or a comma) names a
    teacher's work (``_TEACHING_WORK``)."""
    for tok in tokens[:7]:
        if tok.tag_ in ("VBD", "VBZ", "VBP", "MD") or tok.text in {",", ":", "(", "—", "–"}:
            return False
        if tok.lower_ in _TEACHING_WORK:
            return True
    return False


_SAME_CLAUSE = "student data in the same clause"  # the weak cue: a list of adults can carry such words too


_BEFORE_NAME = frozenset({"named", "called", ",", "("})  # between a student noun and the name it introduces
_EVERY = frozenset({"every", "each", "any", "no", "all"})  # quantifiers: "every student" names nobody


def _student_cue(doc: "Doc", start: int, end: int, is_person: bool = True) -> tuple[str, bool] | None:
    """(reason, strong) when a student cue is attached to the name."""
    # Right before the name ("the pupil Jakub", "a student named Elijah", "one student, Maya"),
    # in lower case: "Student Work" is a title, "a student from Ukraine" is not a name.
    raw = _clause_before(doc, start, 3)
    before = [w for w in raw if w not in _BEFORE_NAME]
    if before[:1] and before[0] in _STUDENT_NOUNS and not _counted_group(doc, start, end):
        # "one student, Maya" is an appositive; "with seventh graders, Chad Whitley ran ..." is
        # the end of one clause and the start of another
        noun = next((k for k in range(start - 1, max(-1, start - 5), -1)
                     if doc[k].text not in _BEFORE_NAME and not doc[k].is_space), -1)
        # "one of our fourth graders, Mason ..." picks one student out of the plural
        plural = before[0] not in _ONE_STUDENT and not (noun >= 0 and _one_of(doc, noun))
        # "WIN-time group for 21 students / Reteach with a partner task": a PDF line that ends in a
        # count of students, joined to the next line's first word, is a group and then a new line
        counted = plural and noun >= 0 and _counted(doc, noun)
        # "for checking every student, Hattie's synthesis on ...": a quantified noun ends a list
        # item; it cannot stand in apposition with one named student
        every = raw[:1] == [","] and noun >= 0 and _not_one_student(doc, noun)
        # "… familiar to all students / Dorsey added a ratio table": a quantified plural is a group
        # that ends its clause (a PDF line joined to the next), never the name's apposition
        group = plural and noun >= 0 and _not_one_student(doc, noun)
        # "a 12-student Bluestem Crew": a count joined to the noun by a hyphen gives a group's
        # size, and what it describes is the group
        sized = noun >= 2 and doc[noun - 1].text == "-" and doc[noun - 2].like_num
        if not (raw[:1] == [","] and (plural or every)) and not sized \
                and not (plural and (not is_person or counted) and end - start == 1) \
                and not (raw[:1] == ["("] and _bracketed_leads(doc, start)) and not group:
            return "a student noun before the name", True
    after = _clause_after(doc, end, 8)
    words = [t.lower_ for t in after]
    if "who" in words:
        # a relative clause says who the name is: "Mason Threlkeld in Mr. Ybarra's room, who has
        # an IEP for reading": read it to its end
        k = words.index("who")
        after = after[:k] + _clause_after(doc, end + k, 12)
        words = [t.lower_ for t in after]
    # "Jake Rennick's report on interleaved practice": a record on a topic is a colleague's work
    # "Sharroky Hollie's Reading, Writing, and Talk": a capitalised word after the name is a
    # title's, while a record is written in lower case or as an acronym ("Tyler's MAP scores")
    # "the BLT's plan": a team or a body, which an article or capitals give away, not a student
    if words[:1] in (["'s"], ["’s"]) and len(words) > 1 and words[1] in _STUDENT_POSSESSIONS \
            and not after[1].text.istitle() and not doc[start:end].text.isupper() and not _after_article(doc, start) \
            and not _teaching_work(after[1:]) and words[2:3] not in (["on"], ["about"]) \
            and not _group_figure(_clause_after(doc, end, 24)):
        return f"a student record belonging to the name ({words[1]})", True
    if words[:1] == [","] and any(w in _ONE_STUDENT and not _counted(after, k) and not _not_one_student(after, k)
                                  for k, w in enumerate(words[1:4], 1)):
        return "described as a student", True
    # "Amira Haddad, one of our new sixth graders, arrived …": one picked out of the plural
    if words[:3] == [",", "one", "of"] and any(w in _STUDENT_NOUNS for w in words[3:8]):
        return "described as a student", True
    joined = " ".join(words)
    if any(p in joined for p in _STUDENT_AFTER_PHRASES) or any(w in _STUDENT_AFTER for w in words):
        return _SAME_CLAUSE, False
    # The names a sentence is about, with a measure of a student's reading further on in it:
    # "Aubree Lindsey and Colton Beckmann, for example, started in the decoding group ..., and
    # both were reading over 60 words correct per minute by November"
    sentence = " ".join(t.lower_ for t in _clause_after(doc, end, 40) if t.text not in {"-", "–"})
    if any(p in sentence for p in _STUDENT_AFTER_PHRASES):
        return _SAME_CLAUSE, False
    return None


_Add = tuple[str, int, int, float, str]  # the arguments of one _Collector.add, offsets in the window
# Levels of grading and proficiency scales: capitalised after "each student", never names.
_SCALE_LABELS = frozenset("""
mastered mastery proficient proficiency advanced basic approaching developing beginning emerging exceeds
exceeding meets meeting partial partially secure novice expert distinguished satisfactory unsatisfactory
""".split())


def _prose_names(doc: "Doc") -> tuple[_Add, ...]:
    """Likely student names in one parsed window, as findings to add (offsets in the window)."""
    found: list[_Add] = []
    for start, end, is_person in _name_runs(doc):
        span = doc[start:end]
        if not _is_name(span.text) or "\n" in span.text or not span.text[:1].isupper():
            continue  # a name is written with a capital: "our parent liaison's report" names nobody
        if end - start == 1 and span.text.lower() in _SCALE_LABELS:
            continue  # a level of a grading scale ("marking each student Mastered, Partial or Not yet")
        if _staff(doc, start, end):
            continue
        cue = _student_cue(doc, start, end, is_person)
        if cue is None:
            continue
        reason, strong = cue
        if not is_person and not strong:
            continue
        conf = 0.85 if strong else 0.65
        if is_person and strong:
            conf = 0.9
        found.append(("student_name", span.start_char, span.end_char, conf, reason))
    return tuple(found)


# ---------------------------------------------------------------- names in speech

# A recording is talk, not a document: no one says "Student:", the transcriber hears "IEP" as
# "IP", and students are named in passing, a sentence after the talk turns to them ("it's
# mostly the same kids. Tyler Brennan and Kayla Moss are in there almost every day"). The adults
# of a recorded debrief or meeting are introduced ("my conversation with Lacy Penrose"), titled
# ("Mr. O'Connor"), named in a roll call with titled colleagues or "me", or make the plans
# ("Dana Ruiz and I will ...", "Dana will pull the data").
_SPOKEN_CUES = _STUDENT_NOUNS | _STUDENT_AFTER | frozenset("ip referral referrals mom dad grandma grandmother".split())
def _spoken_cue(tok: "Token") -> bool:
    return tok.lower_.strip(".,'’") in _SPOKEN_CUES


_SPOKEN_CUE = re.compile(r"(?i:\b(?:%s)\b)" % "|".join(map(re.escape, sorted(_SPOKEN_CUES, key=len, reverse=True))))
# The recogniser spells a plan's number out digit by digit: "five oh four" comes back "5-0-4".
_SPOKEN_CODES = re.compile(r"(?<![\w-])5-0-4(?![\w-])")
_MODALS = frozenset("will 'll ’ll can could should would shall going".split())
_ROLL_CALL = frozenset("me i myself".split())
_SPOKEN = "a full name spoken in a recording next to talk about students"
_SPOKEN_ONE = "a name spoken in a recording next to talk about one student's record, family or progress"
# What is said about one student's own situation, not about a class or a group ("we scored the
# unit test" is the teachers grading): a record (an IEP,
# which a recogniser writes "IP"; a referral; a reading level), their family, or how they are
# doing ("out of their seats again", "has been struggling since he moved here", "hasn't turned
# in a lab"). Said next to a name, the name is a student's: adults in a meeting are named for
# what they will do, and the recogniser mangles a student's surname as often as not ("Jaden
# sewers"), so a first name is all there is to go on. Health is a record too ("he has a plan for
# anxiety", "had to go to the nurse"), and so is a reading level against the grade, and so is being
# off task or having a head down in a lesson. The recogniser hears "IEP" as "high P" too, and "five
# oh four" as "5-0-4", "5 row 4" or "5-0 for". A student's answers are their record too: "missed
# all three inferencing items", "didn't write anything on number seven".
_ONE_STUDENT_TALK = re.compile(
    r"\b(?:(?i:iep|i\.?p\.?|high[- ]p|504|5[- ](?:0|oh|row)[- ](?:4|for|four)|referrals?|off[-\s]+task|head (?:down|out)|suspended|suspension|detention|reading level|adhd|diagnos\w*"
    r"|(?:his|her) (?:mom|mother|dad|father|grandma|grandmother|parents|family)|at home|behind|stuck|struggl\w*"
    r"|worr(?:y|ied) about|out of (?:his|her|their) seats?|never (?:really |even )?start\w*|(?:hasn't|has not|hadn't) turned in"
    r"|anxiety|asthma|seizures?|medication|the nurse|missed (?:all|every|both|each) (?:\w+ ){0,2}(?:items?|questions?|problems?)"
    r"|(?:didn't|did not|didn’t) (?:write|answer|put) anything|reading (?:above|below|at|on) grade level"
    r"|read (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)(?: of (?:\d+|\w+))? (?:\w+ )?words?|words correct\w*"
    r"|below (?:benchmark|\d+)"
    r"|absent|moved (?:here|in|away|out)|(?<!\bwe )(?<!\bi )(?<!\bthey )(?<!students who )(?<!kids who )(?:got \d|scored))|level [A-Z])\b")


def _sentence_ids(doc: "Doc") -> list[int]:
    """Each token's sentence, counted at . ! ? only: a transcript's line breaks are the
    transcriber's segments, which end mid-sentence as often as not."""
    ids, n = [], 0
    for t in doc:
        ids.append(n)
        n += t.text in {".", "!", "?"}
    return ids


def _listed_with(doc: "Doc", start: int, end: int) -> list["Token"]:
    """The tokens of the list the name stands in: proper nouns, titles, roles and "me" joined by
    commas and "and", on both sides of it, within its line."""
    def joins(t: "Token") -> bool:
        w = t.lower_.rstrip(".")
        return (t.text in {",", "and", "&", "our"} or t.tag_ in ("NNP", "NNPS") or w in _TITLES
                or w in _STAFF_ROLES or w in _ROLL_CALL) and not t.is_space
    out: list["Token"] = []
    k = start - 1
    while k >= 0 and joins(doc[k]):
        out.append(doc[k])
        k -= 1
    k = end
    while k < len(doc) and joins(doc[k]):
        out.append(doc[k])
        k += 1
    return out


_AM = frozenset({"'m", "’m", "am"})


def _i_am(words: Sequence[str], k: int) -> bool:
    """Whether ``words[k]`` ends "I'm" / "I am": the speaker introducing themselves."""
    return k > 0 and words[k] in _AM and words[k - 1] == "i"


def _spoken_adult(doc: "Doc", sentence: list[int], start: int, end: int) -> bool:
    if "with" in [w.lower() for w in _clause_before(doc, start, 2)]:
        return True  # introduced: "my feedback conversation with Lacy Penrose, third grade"
    if _roll_call_member(doc, sentence, start, end):
        return True
    listed = _listed_with(doc, start, end)
    first = min([t.i for t in listed if t.i < start] + [start])
    if first >= 2 and _i_am([doc[first - 2].lower_, doc[first - 1].lower_], 1):
        return True  # the speakers introduce themselves: "I'm Monica T and Rosa Elgago is leading"
    if any(t.lower_.rstrip(".") in _TITLES | _STAFF_ROLES | _ROLL_CALL for t in listed):
        return True  # a roll call: "Coach Dillard, Mrs. Abernathy, ... and me, Jee Lo"
    k = end + sum(1 for t in listed if t.i >= end)
    if k < len(doc) and doc[k].lower_ == "here":
        return True  # the speaker names themselves: "Gregory Tilden here with Monique Dorsey, ..."
    if _attendance(doc, sentence, start, end, k):
        return True
    # the ones running the meeting: "Mary Salek, Costa and Kelly Merajana are leading", or in a
    # roll call "Holley Brent facilitating with Lewis ..."
    j = k + (k < len(doc) and doc[k].lower_ in {"is", "are", "'s", "'re"})
    if j < len(doc) and doc[j].lower_ in _LEADING:
        return True
    return k < len(doc) and doc[k].lower_ in _MODALS  # the one who will act: "Kayla Moss will pull the data"


_PRESENT = frozenset({"here", "present", "joining", "attending"})


def _attendance(doc: "Doc", sentence: list[int], start: int, end: int, k: int) -> bool:
    """Whether the list the name ends in is closed by saying who is at the meeting ("Dana Prute,
    Omar Ceeley, Janet Claus, Whitney Bowles, and Lorraine Whitfield are here."), in a sentence
    that says nothing about students: a roll call said after the names instead of before them."""
    if not (k + 1 < len(doc) and doc[k].lower_ in {"are", "were", "'re"}
            and (doc[k + 1].lower_ in _PRESENT or doc[k + 1].lower_ == "with" and k + 2 < len(doc)
                 and doc[k + 2].lower_ in {"me", "us"})):
        return False
    same = [t for t in doc if sentence[t.i] == sentence[start]]
    return not any(_spoken_cue(t) for t in same if not start <= t.i < end)


# Running a session, said of its leaders; the written staff rule (_STAFF_MENTIONS) reads the first six.
_LEADING_WORDS = "leading presenting facilitating teaching running hosting"
_LEADING = frozenset(f"{_LEADING_WORDS} modeling modelling coaching".split())


_LEAD_INS = frozenset("present here attending joined joining welcome introduce meet with".split())


def _roll_call_member(doc: "Doc", sentence: list[int], start: int, end: int) -> bool:
    """Whether the name stands in a meeting's roll call opened by the speaker: "With me are
    Callie Brandt, Ruth Okoye ...", "I'm Marisol Whitfield, with Carla Nguyen, Brett Ostrander
    ...", "Joining me today ...", "Present are ...", in a sentence that says nothing about
    students. Whoever is listed there sits at the table, however garbled the list between the
    lead-in and the name ("with me our Jordan Pike, All my rain sprays and Chris Lundgren"),
    while a teacher naming students in such a sentence says who they are ("with me are Tyler
    and Kayla, two of our fifth graders")."""
    a, b = start, end
    while a > 0 and sentence[a - 1] == sentence[start]:
        a -= 1
    while b < len(doc) and sentence[b] == sentence[start]:
        b += 1
    same = list(doc[a:b])
    words = [t.lower_ for t in same if t.i < start and not t.is_space]
    # The recogniser ends a sentence where the speaker paused: "I'm Kesha Ramlet. With ..., Hector
    # Lindquist and our grade-level representatives" is one introduction.
    p = a
    while p > 0 and sentence[p - 1] == sentence[start] - 1:
        p -= 1
    before = [t.lower_ for t in doc[p:a] if not t.is_space]
    opened = False
    introduced = words[:1] == ["with"] and any(_i_am(before, k) for k in range(len(before)))
    for k, w in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        introduced = introduced or _i_am(words, k)
        opened = opened or (w == "with" and (nxt == "me" or introduced)) or (w == "joining" and nxt in {"me", "us"}) \
            or (w == "present" and nxt in {"are", "were", "today", "our", ":"})
    if not opened:
        return False
    return not any(_spoken_cue(t) for t in same if not start <= t.i < end)


_MEETINGS = frozenset("meeting committee team plc conference debrief session council department".split())


def _roll_call_lead(doc: "Doc", sentence: list[int], start: int) -> bool:
    """Whether the sentence opens a roll call before the name ("Present are ...", "Here with
    me are ...", "Welcome to ..."), or comes right after the recording says which meeting it is
    ("This is the professional learning committee, December 10th."): whoever is listed next is
    there, however the recogniser heard the lead-in ("Present at the table" as "President of
    the Times in")."""
    k = start - 1
    while k >= 0 and sentence[k] == sentence[start]:
        if doc[k].lower_ in _LEAD_INS:
            return True
        k -= 1
    before = [t.lower_ for t in doc[: k + 1] if sentence[t.i] == sentence[start] - 1]
    return "this" in before[:3] and "is" in before[:4] and bool(_MEETINGS & set(before))


def _spoken_people(doc: "Doc") -> list[tuple[int, int]]:
    """PERSON spans, and a name the tagger took for an organisation or place when it is joined
    by "and" or a comma to a PERSON ("Colby Barnes and Marisol Whitlow never started": the
    small model reads a name at the start of a transcript line as an ORG as often as not)."""
    people = [(e.start, e.end) for e in doc.ents if e.label_ == "PERSON"]
    starts, ends = {a for a, _ in people}, {b for _, b in people}
    for e in doc.ents:
        if e.label_ in ("ORG", "FAC", "GPE", "NORP") and re.fullmatch(_NAME, e.text) and (
                (e.end + 1 in starts and doc[e.end].text in {"and", ","})
                or (e.start - 1 in ends and doc[e.start - 1].text in {"and", ","})):
            people.append((e.start, e.end))
    return sorted(people)


def _spoken_names(doc: "Doc") -> tuple[_Add, ...]:
    """Full names (two words or more) in a transcript window, not an adult's, with talk about
    students in their sentence or the one before or after it."""
    sentence = _sentence_ids(doc)
    cues = [t for t in doc if _spoken_cue(t)]
    # A count of students ("we gave the CFA to 138 students") is the class's data, not talk about
    # a name beside it; it still is about the names a teacher lists in the next breath ("24
    # students used the stems … The ones who didn't talk were Colton Briggs, Shaylee Mootz and …").
    cued = {sentence[t.i] for t in cues if not _counted(doc, t.i)}
    counted = {sentence[t.i] for t in cues}
    for m in _SPOKEN_CODES.finditer(doc.text):
        cued.add(sentence[doc.char_span(m.start(), m.end(), alignment_mode="expand").start])
    # the recogniser writes a student's garbled name in lower case as often as not ("bison elkat"
    # for Bryson Alcott), but a run with "meeting" or "team" in it names the meeting ("the great
    # Sanran masjada meeting" for the grade 7 math data meeting). Not the place words of school
    # names: Park, Hill and Rivers are surnames too.
    people = [(a, b) for a, b in _spoken_people(doc)
              if len(doc[a:b].text.split()) >= 2 and _is_name(doc[a:b].text) and "\n" not in doc[a:b].text
              and not {w.lower() for w in doc[a:b].text.split()} & _MEETINGS]
    # Three or more people named in full in one sentence, with no one titled or introduced:
    # in a debrief or meeting adults are called by first name, title or role, while a teacher
    # lists the students a problem is about ("The four who didn't answer were Jaden Mercer,
    # Olivia Strout, Kaden Riggs and Mia Lopez").
    listed = Counter(sentence[a] for a, _ in people)
    found: list[_Add] = []
    taken: set[int] = set()
    for start, end in people:
        span = doc[start:end]
        near = {sentence[start] - 1, sentence[start], sentence[start] + 1}
        if not (cued & near or listed[sentence[start]] >= 2 and counted & near) and listed[sentence[start]] < 3:
            continue
        if listed[sentence[start]] >= 3 and _roll_call_lead(doc, sentence, start):
            continue
        if _staff(doc, start, end) or _spoken_adult(doc, sentence, start, end) or _after_article(doc, start):
            continue
        found.append(("student_name", span.start_char, span.end_char, 0.75, _SPOKEN))
        taken.add(start)
    # A full name with no talk about students near it is still a student's when what is said next
    # to it is one student's record ("Jaden Morel answered twice, and he has a plan for anxiety").
    return tuple(found) + _spoken_first_names(doc, sentence, taken)


# Speaking and asking: in a meeting, the colleague who says the data is behind.
_REPORTING_VERBS = frozenset("""
said says say asked asks told tells shared shares reported reports noted notes mentioned mentions suggested
suggests explained explains thinks thought wants wanted agreed agrees
""".split())


def _reports(doc: "Doc", end: int) -> bool:
    """Whether the first verb after the name is one of saying or asking ("Gloria said the
    reading level data is behind"): a participant in the meeting, not the one talked about."""
    for t in _clause_after(doc, end, 4):
        if t.tag_.startswith("VB"):
            return t.lower_ in _REPORTING_VERBS
    return False


def _after_article(doc: "Doc", start: int) -> bool:
    """Whether an article stands before the words, past at most two capitalised ones: no one
    calls a student "the Kayla", while the recogniser writes a program it cannot spell as a
    capitalised plural ("the Winter Acadians" for the winter Acadience data)."""
    k = start - 1
    while k >= 0 and start - k <= 2 and doc[k].tag_ in ("NNP", "NNPS"):
        k -= 1
    return k >= 0 and doc[k].lower_ in {"the", "a", "an"}


# A share of a whole ("14% of our enrollment, but 29% of the referrals"): a group's figure.
_SHARE = re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|percent)\s+of\b", re.I)
_GATHERED = re.compile(r"\s+data\b")  # after a record word: many students' records, gathered


def _one_student_talk(sentence: str) -> bool:
    """Whether the sentence talks about one student's record, family or progress
    (``_ONE_STUDENT_TALK``) outside a clause that counts students or gives a share: "19 students
    scored below 60%" and "students with IEPs are 14% of our enrollment but 29% of the referrals"
    are a group's data, as a count is for the full-name rule too, and so is "the referral data"."""
    for m in _ONE_STUDENT_TALK.finditer(sentence):
        if _GATHERED.match(sentence, m.end()):
            continue  # "the referral data": a group's records, gathered
        clause = re.split(r"[,;:]", sentence[: m.start()])[-1]
        whole = clause + re.split(r"[,;:]", sentence[m.start():])[0]
        if not _COUNT.search(clause) and not _SHARE.search(whole):
            return True
    return False


def _spoken_first_names(doc: "Doc", sentence: list[int], taken: set[int]) -> tuple[_Add, ...]:
    """Names of one or two words (whatever the tagger labels them: a mangled name comes back
    as a place or an organisation) in a sentence that, with the one after it, talks about one
    student's record, family or progress (``_ONE_STUDENT_TALK``), not an adult's: not titled,
    introduced, listed with adults or the one who will act."""
    texts: dict[int, list[str]] = {}
    for tok in doc:
        texts.setdefault(sentence[tok.i], []).append(tok.text_with_ws)
    talk = {k for k, words in texts.items() if _one_student_talk("".join(words))}
    found: list[_Add] = []
    for ent in doc.ents:
        name = ent.text[:-2] if ent.text.endswith(("'s", "’s")) else ent.text
        if (ent.label_ not in ("PERSON", "ORG", "GPE", "NORP") or ent.start in taken or "\n" in ent.text
                or not re.fullmatch(rf"{_NAME_WORD}(?:[ -]{_NAME_WORD})?", name) or not _is_name(name)
                or any(w.lower() in _ORG_WORDS for w in name.split())):
            continue
        k = sentence[ent.start]
        if not {k, k + 1} & talk:
            continue
        if (_staff(doc, ent.start, ent.end) or _spoken_adult(doc, sentence, ent.start, ent.end) or _reports(doc, ent.end)
                or _after_article(doc, ent.start)):
            continue
        found.append(("student_name", ent.start_char, ent.start_char + len(name), 0.75, _SPOKEN_ONE))
    return tuple(found)


_INITIAL_SURNAME = re.compile(r"[A-Z]\.\s?" + _NAME_WORD)


def _in_staff_list(text: str, start: int) -> bool:
    """Whether the name at ``start`` stands in a list of adults: under a heading such as "Led by"
    or "Members" in the lines before it, or a short heading row naming an adult group with no
    student word ("PL Committee member  Role") above it in the same block, or after a colon in
    its sentence whose lead-in names adults and no student or family ("team (volunteers:",
    "Members 2025-26:", "Three lab classrooms open their doors on Fridays:")."""
    before = text[max(0, start - 200) : start]
    if _STAFF_LIST.search(before):
        return True
    for m in _STAFF_HEADING.finditer(before):
        line = m.group("line")
        if len(line.split()) <= 8 and not _words(line) & (_STUDENT_NOUNS | _FAMILY) and "\n\n" not in before[m.end() - 1 :]:
            return True
    sentence = re.split(r"[.!?]\s|\n\s*\n", text[max(0, start - 300) : start])[-1]
    head, colon, _ = sentence.rpartition(":")
    words = _words(head)
    return bool(colon) and bool(words & _INTRO_GROUPS) and not words & (_STUDENT_NOUNS | _FAMILY)


_BRACKETED = re.compile(r"\(([^()\n]{1,40})\)")


def _listed_with_role(text: str, start: int, end: int) -> bool:
    """Whether the name stands in a list of names (commas, "and", line breaks, bracketed notes)
    in which another name carries an adult's role in brackets: "Lydia Strand (chair), Cole
    Brenner, Nia Osei, Beatriz Solano (ELL)" is a writing team, whose "(ELL)" says what a
    teacher teaches. Only a chair, lead, coach … makes the list adults': a student roster marks
    its names "(ELL)" or "(IEP)" too."""
    def names_only(between: str) -> bool:
        if len(between) > 150 or re.search(r"[\d.;:!?]", between):
            return False
        words = re.findall(r"[A-Za-z'’-]+", _BRACKETED.sub(" ", between))
        return all(w[0].isupper() or w == "and" for w in words)

    before, after = text[max(0, start - 150) : start], text[end : end + 150]
    for m in _BRACKETED.finditer(before):
        if _words(m.group(1)) & _STAFF_ROLES and names_only(before[m.end():]):
            return True
    for m in _BRACKETED.finditer(after):
        if _words(m.group(1)) & _STAFF_ROLES and names_only(after[: m.start()]) and m.start() > 0:
            return True
    return False


_PROSE_CUE = re.compile(
    r"(?i:\b(?:%s)\b|%s|['’]s\b|,\s+an?\s)"
    % ("|".join(map(re.escape, sorted(_STUDENT_NOUNS | _STUDENT_AFTER, key=len, reverse=True))),
       "|".join(map(re.escape, _STUDENT_AFTER_PHRASES)))
)


_BRACKETED_NAME = re.compile(r"\(\s*[A-Z][a-z]+ [A-Z][a-z]+")


def _cue_windows(text: str, spoken: bool = False) -> list[tuple[int, int]]:
    """Character ranges worth reading with spaCy: each line with a student cue word, with the
    line before and after (a PDF line break can split a clause). The tagger and NER cost most
    of the detector's time, and most lines of a school document carry no such cue. A
    transcript's lines are short segments of speech: two on each side, and its own cues."""
    lines = list(_lines(text))
    hit = [i for i, (_, line) in enumerate(lines) if _PROSE_CUE.search(line)
           or (spoken and (_SPOKEN_CUE.search(line) or _ONE_STUDENT_TALK.search(line)))]
    reach = 2 if spoken else 1
    ranges: list[tuple[int, int]] = []
    for i in hit:
        a, b = max(0, i - reach), min(len(lines) - 1, i + reach)
        if not spoken and _BRACKETED_NAME.search(lines[i][1]):
            a = max(0, i - 3)  # far enough back to see the list of who-said-or-leads-what it stands in
        if spoken and a <= reach:
            a = 0  # the opening says which meeting this is, and so who is named right after it
        start, end = lines[a][0], lines[b][0] + len(lines[b][1])
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(end, ranges[-1][1]))
        else:
            ranges.append((start, end))
    return ranges


def _unwrap(text: str) -> str:
    """Line breaks after prose lines as spaces (same length, so offsets hold): a PDF wraps a
    sentence over lines, while a break after a short line (a table row, a heading) stays one."""
    lines = text.split("\n")
    return "".join(line + ("" if k == len(lines) - 1 else (" " if _wrapped(line) else "\n")) for k, line in enumerate(lines))


def _wrapped(line: str) -> bool:
    words = line.split()
    digits = sum(1 for w in words if any(c.isdigit() for c in w))
    return len(words) >= 6 and digits / len(words) < 0.3 and " | " not in line and "\t" not in line


# ---------------------------------------------------------------- public API


def _detect(text: str, wanted: frozenset[str], today: date, prose: Iterable[tuple[tuple[_Add, ...], int]]) -> list[Finding]:
    out = _Collector(wanted)
    _contact(text, out)
    _ids_and_dobs(text, out)
    _numbered_names(text, out)
    _labelled_names(text, out)
    _scripted_talk(text, out)
    _rosters(text, out, today)
    _column_lists(text, out, today)
    if "student_name" in wanted:
        for adds, offset in prose:
            for kind, start, end, conf, reason in adds:
                if reason in (_SAME_CLAUSE, _SPOKEN, _SPOKEN_ONE) and (_in_staff_list(text, offset + start)
                                               or _listed_with_role(text, offset + start, offset + end)
                                               or _INITIAL_SURNAME.fullmatch(text[offset + start : offset + end])):
                    # "ELL", "SPED", a grade after a teacher's name in a list of adults: their
                    # assignment; "J. Farris" is how a school document names staff (and "C." may
                    # be an item letter), not how it names a student
                    continue
                if reason == "a student noun before the name" and text[:offset + start].rstrip().endswith("(") \
                        and _INITIAL_SURNAME.fullmatch(text[offset + start : offset + end]):
                    continue  # a session's topic and who leads it: "New English learners (S. Marquardt)"
                out.add(kind, offset + start, offset + end, conf, reason)
    return [f for f in out.result() if not (_common_word(text, f) or _not_a_name(text, f))]


# "Her" is left out: it is a Hmong surname ("Mai Her").
_PRONOUNS = frozenset("i me my you your he him his she it its we us our they them their".split())
_NOUN_ENDS_LINE = re.compile(rf"\b(?:{'|'.join(sorted(_STUDENT_NOUNS))})[ \t]*\n[ \t]*$")


def _not_a_name(text: str, f: Finding) -> bool:
    """A student name found by a cue that is no name: words that include a pronoun ("24 of 27
    students called Tell Me", a recogniser's garble), or ordinary words opening the line after a
    line that ends in a student noun ("… 410 students / Funding Amount", "by student / Model"): a
    table's next cell or a slide's next line, joined to the cue when lines are read as prose."""
    if f.kind != "student_name" or f.reason.startswith("labelled"):
        return False
    words = text[f.char_start : f.char_end].split()
    if any(w.lower() in _PRONOUNS for w in words):
        return True
    if not _NOUN_ENDS_LINE.search(text[max(0, f.char_start - 40) : f.char_start]):
        return False
    from .media.english import english_words

    vocabulary = english_words()
    return all(w.lower() in vocabulary and w.lower() not in _WORD_NAMES for w in words)


# Given names that are also everyday words: a text writing "will" or "grace" in lower case
# says nothing about "Will" or "Grace".
_WORD_NAMES = frozenset("""
will grace hope faith joy mark rose jade hunter mason summer autumn river drew grant miles reed chase dawn jack
ivy lily daisy ruby pearl sky sage wade bill rich max ray guy art pat sue angel destiny harmony trinity justice
king major paige penny sunny rocky dusty cash colt gene dean carol frank
""".split())


def _one_word_name(text: str, f: Finding) -> str | None:
    """The finding's word when it is a one-word student name found by a cue (not a labelled field)."""
    word = text[f.char_start : f.char_end]
    if f.kind != "student_name" or not re.fullmatch(r"[A-Z][a-z]+", word) or f.reason.startswith("labelled"):
        return None
    return word


def _written_lower(word: str, text: str) -> bool:
    low = word.lower()
    return low not in _WORD_NAMES and re.search(rf"(?<![\w-]){low}(?!\w)", text) is not None


def _common_word(text: str, f: Finding) -> bool:
    """Whether a one-word student name is a common word capitalised at the start of a line or
    in a title: the same text writes it in lower case too ("Reteach with a partner task" over
    "reteach groups"; "Last Year's Plan" and "last year"), or a hyphen joins it to a lower-case
    word ("Follow-up"). A labelled name ("Student: Reed") stays."""
    word = _one_word_name(text, f)
    if word is None:
        return False
    if re.match(r"[-‐][a-z]", text[f.char_end : f.char_end + 2]):
        return True
    return _written_lower(word, text)


def _kinds(kinds: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown personal-data kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    return wanted


def detect(
    text: str,
    nlp: "Language | None" = None,
    kinds: Iterable[str] = KINDS,
    *,
    today: date | None = None,
) -> list[Finding]:
    """Likely personal data in ``text``. ``nlp`` is the tagger+NER pipeline
    (``screening.models.spacy_entity_pipeline``); without it, names are found only in labelled
    fields and roster rows."""
    return detect_many([text], nlp, kinds, today=today)[0]


def detect_many(
    texts: Sequence[str], nlp: "Language | None" = None, kinds: Iterable[str] = KINDS, today: date | None = None,
    spoken: Sequence[bool] | None = None,
) -> list[list[Finding]]:
    """``detect`` for many texts, running the spaCy pipeline over the lines with student cues
    of all of them in batches. ``spoken[i]`` marks a recording's transcript, where full names
    next to talk about students count too."""
    return _detect_many(texts, None if nlp is None else (lambda: nlp), kinds, today, spoken)


def _detect_many(
    texts: Sequence[str], load_nlp: "Callable[[], Language] | None", kinds: Iterable[str], today: date | None,
    spoken: Sequence[bool] | None = None,
) -> list[list[Finding]]:
    """``detect_many`` with the pipeline loaded only when some text has a line with a student cue."""
    wanted = _kinds(kinds)
    today = today or date.today()
    talk = list(spoken) if spoken is not None else [False] * len(texts)
    windows: list[list[tuple[int, int]]] = [
        _cue_windows(t, s) if load_nlp is not None and "student_name" in wanted else [] for t, s in zip(texts, talk)
    ]
    flat = [(i, a, b) for i, ws in enumerate(windows) for a, b in ws]
    names: list[tuple[_Add, ...]] = []
    if flat and load_nlp is not None:
        nlp = load_nlp()
        names = [()] * len(flat)
        for said in (False, True):
            todo = [k for k, (i, _, _) in enumerate(flat) if talk[i] == said]
            if todo:
                got = _window_names([_unwrap(texts[flat[k][0]][flat[k][1] : flat[k][2]]) for k in todo], nlp, said)
                for k, adds in zip(todo, got):
                    names[k] = adds
    prose: list[list[tuple[tuple[_Add, ...], int]]] = [[] for _ in texts]
    for (i, a, _), adds in zip(flat, names):
        prose[i].append((adds, a))
    return [_detect(t, wanted, today, p) for t, p in zip(texts, prose)]


# Names found in windows already parsed in this process, so re-screening an edited draft runs
# the tagger and NER only on the windows that changed.
_NAMES: TextCache[tuple[_Add, ...]] = TextCache()
_SPOKEN_NAMES: TextCache[tuple[_Add, ...]] = TextCache()


def _window_names(windows: list[str], nlp: "Language", spoken: bool = False) -> list[tuple[_Add, ...]]:
    if spoken:
        return _SPOKEN_NAMES.get_many(nlp, windows, lambda todo: (
            _prose_names(doc) + _spoken_names(doc) for doc in nlp.pipe(todo, batch_size=64)))
    return _NAMES.get_many(nlp, windows, lambda todo: (_prose_names(doc) for doc in nlp.pipe(todo, batch_size=64)))


def redact(text: str, findings: Iterable[Finding], offset: int = 0) -> str:
    """``text`` with each finding's span replaced by its placeholder. ``offset`` is where
    ``text`` starts in the text the findings were made on (for redacting an excerpt)."""
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.char_start):
        start, end = f.char_start - offset, f.char_end - offset
        if end <= 0 or start >= len(text):
            continue
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        out.append(text[pos:start])
        out.append(PLACEHOLDERS[f.kind])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def describe(findings: Iterable[Finding], text: str | None = None) -> str:
    """'3 student names, 1 date of birth' (kinds in a fixed order, never the data). Given the
    text the findings were made on, a value mentioned twice is counted once."""
    values: dict[str, set[object]] = {}
    for f in findings:
        value = " ".join(text[f.char_start : f.char_end].split()) if text is not None else (f.char_start, f.char_end)
        values.setdefault(f.kind, set()).add(value)
    counts = {kind: len(v) for kind, v in values.items()}
    parts = []
    for kind in KINDS:
        n = counts.get(kind, 0)
        if n:
            one, many = KIND_WORDS[kind]
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


# ---------------------------------------------------------------- documents and passages


@dataclass(frozen=True)
class PageFindings:
    """Findings on one page of a file (``page`` None for page-less files and transcripts;
    ``media`` True when the offsets are in a transcript, located in time by the document's
    segments)."""

    file: str
    part: str
    page: int | None
    findings: tuple[Finding, ...]
    media: bool = False


def scan_documents(
    docs: Iterable[tuple["Document", str]],
    load_nlp: "Callable[[], Language] | None",
    kinds: Iterable[str] = KINDS,
    min_confidence: float = 0.0,
    today: date | None = None,
    spoken_names: bool = True,
    other_language_names: bool = False,
) -> tuple[PageFindings, ...]:
    """Findings for every page with text of each (document, part); pages without any are left
    out. The spaCy pipeline (``load_nlp()``, called only when some line has a student cue) runs
    once over all pages, in batches. Unless ``other_language_names``, no student name is read in
    a stretch of a recording flagged as another language (see :func:`_in_other_language`)."""
    jobs: list[tuple["Document", str, int | None, str]] = []
    for doc, part in docs:
        for page in doc.pages:
            if page.text.strip():
                jobs.append((doc, part, page.number, page.text))
    results = _detect_many([text for *_, text in jobs], load_nlp, kinds, today,
                           [spoken_names and bool(d.segments) for d, *_ in jobs])
    out: list[PageFindings] = []
    for (doc, part, number, _), found in zip(jobs, results):
        kept = tuple(f for f in found if f.confidence >= min_confidence
                     and (other_language_names or f.kind != "student_name" or not _in_other_language(doc, f)))
        if kept:
            out.append(PageFindings(doc.name, part, number, kept, media=bool(doc.segments)))
    return tuple(out)


def _in_other_language(doc: "Document", finding: Finding) -> bool:
    """Whether the finding lies in a stretch of the recording flagged as another language. There
    the English-only model writes what it cannot follow as English-looking words, capitalised
    fragments among them ("Mother of the Manish leader, Vasim Lakh"), which read as names; the
    ``language`` flag already sends the assessor to listen to that stretch."""
    spans = [span for p in doc.problems if p.code == "language" for span in p.spans]
    if not spans or not doc.segments:
        return False
    return any(seg.char_start < finding.char_end and finding.char_start < seg.char_end
               and any(a < seg.end_s and seg.start_s < b for a, b in spans) for seg in doc.segments)


def common_words_elsewhere(found: Sequence[PageFindings], texts: dict[tuple[str, int | None], str]) -> tuple[PageFindings, ...]:
    """``found`` without one-word student names that another file of the submission writes in
    lower case: "Scaffolds and extensions …" opening a self-analysis cell, where the narrative
    says "scaffolds" (pages are scanned one by one, so ``_common_word`` sees only its own page).
    ``texts`` maps (file, page) to the page's text."""
    every = "\n".join(texts.values())
    out = []
    for pf in found:
        text = texts.get((pf.file, pf.page), "")
        kept = tuple(f for f in pf.findings if not ((word := _one_word_name(text, f)) and _written_lower(word, every)))
        if kept:
            out.append(replace(pf, findings=kept))
    return tuple(out)


# Where a submission says a person leads or teaches: "Joel Burris will lead a January session",
# "facilitated by Rosa Delgado", "Mrs. Ebert". Such a person is staff wherever else they are named.
_NAME_RUN = r"[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?"
_STAFF_MENTIONS = re.compile(
    rf"\b(?:(?:[Ll]ed|[Ff]acilitated|[Pp]resented|[Tt]aught|[Mm]odeled|[Mm]odelled|[Cc]oached|[Hh]osted|[Cc]o-taught|"
    rf"[Rr]un) by (?P<by>{_NAME_RUN})"
    rf"|(?P<will>{_NAME_RUN}) (?:will|is going to) (?:lead|facilitate|present|coach|co-teach|model|host|run|teach)\b"
    rf"|(?P<is>{_NAME_RUN}) (?:is|are) (?:{'|'.join(_LEADING_WORDS.split())})\b"
    rf"|\b(?:Mr|Mrs|Ms|Dr|Coach)\.? (?P<title>[A-Z][a-z'-]+)"
    # "teachers like Marcus Eftink", "colleagues such as Rosa Delgado": one of the staff, by example
    rf"|\b(?:[Tt]eachers|[Cc]olleagues|[Cc]oaches|[Ss]taff members|[Tt]eacher leaders) (?:like|such as|including) "
    rf"(?P<like>{_NAME_RUN})"
    # "I'll lead the first one with Tammy", "we co-facilitated the PLC session with Dana Ruiz": who
    # leads a learning event with the writer
    rf"|\b(?:I|[Ww]e)(?:'ll|’ll| will| am going to| are going to| also)? (?:lead|led|co-lead|co-led|facilitate|"
    rf"facilitated|co-facilitate|co-facilitated|present|presented|host|hosted|run|ran|co-teach|co-taught) "
    rf"(?:[\w'’-]+ ){{0,4}}?(?:sessions?|workshops?|trainings?|PD|PL|meetings?|PLCs?|one|strands?|rounds?|modules?|"
    rf"book study|cohorts?|labs?|walks?|cycles?|protocols?|professional learning) with (?P<with>{_NAME_RUN})"
    # "Ellis Mwangi and Rita Sandoval led the November session", "Ellen Sandoval leads fluency sessions":
    # who leads or led a learning event
    rf"|(?P<did>{_NAME_RUN})(?:,? and (?P<did2>{_NAME_RUN}))? (?:led|co-led|facilitated|co-facilitated|presented|"
    rf"modeled|modelled|hosted|leads|co-leads|facilitates|co-facilitates|presents|models|hosts) "
    rf"(?:[\w'’-]+ ){{0,4}}?(?:sessions?|workshops?|trainings?|PD|PL|meetings?|PLCs?|"
    rf"book study|cohorts?|labs?|walks?|cycles?|protocols?|professional learning)\b)")
# Reasons that read a name as a student's from the prose around it, which a colleague's name can
# share ("Joel's report was the most useful"); a labelled field or a roster row is not undone.
_PROSE_REASONS = ("a student record belonging to the name", _SAME_CLAUSE, _SPOKEN, _SPOKEN_ONE,
                  "a student noun before the name", "described as a student")


def staff_named_elsewhere(found: Sequence[PageFindings], texts: dict[tuple[str, int | None], str],
                          misheard: bool = True) -> tuple[PageFindings, ...]:
    """``found`` without student names read from the prose around them when any file of the
    submission names that person as leading, presenting or teaching, or with a title ("Joel
    Burris will lead a January session" in the narrative, "Joel's report" in the reflection).
    A one-word name matches a first name or surname of such a person; a full name, the person;
    with ``misheard``, a name in a transcript also the person whose first name it starts with, as
    a recogniser may spell it (see :func:`_misheard_staff`), or one listed with a staff member
    (see :func:`_listed_with_staff`)."""
    staff_full: set[str] = set()
    staff_words: set[str] = set()
    for text in texts.values():
        for m in _STAFF_MENTIONS.finditer(text):
            for name in (m.group("by") or m.group("will") or m.group("is") or m.group("title") or m.group("did")
                         or m.group("like") or m.group("with"),
                         m.group("did2")):
                if name and _is_name(name):
                    staff_full.add(name)
                    staff_words.update(name.split())
    if not staff_words:
        return tuple(found)
    staff_first = {n.split()[0] for n in staff_full if " " in n}

    def staff(pf: PageFindings, text: str, f: Finding, name: str) -> bool:
        return (name in staff_full or (" " not in name and name in staff_words)
                or (" " in name and name.split()[0] in staff_words and name.split()[-1] in staff_words)
                or (misheard and pf.media and (_misheard_staff(name, staff_first)
                                               or _listed_with_staff(text, f, staff_full))))

    return _without_prose_names(found, texts, staff)


def _without_prose_names(found: Sequence[PageFindings], texts: dict[tuple[str, int | None], str],
                         elsewhere: Callable[[PageFindings, str, Finding, str], bool]) -> tuple[PageFindings, ...]:
    """``found`` without the student names read from the prose around them (``_PROSE_REASONS``)
    for which ``elsewhere(page findings, page text, finding, name without its possessive)`` says
    what the rest of the submission makes of the name; labelled fields and roster rows stay."""
    out = []
    for pf in found:
        text = texts.get((pf.file, pf.page), "")
        kept = []
        for f in pf.findings:
            name = " ".join(text[f.char_start : f.char_end].split())
            if name.endswith(("'s", "’s")):
                name = name[:-2]
            if not (f.kind == "student_name" and f.reason.startswith(_PROSE_REASONS) and name
                    and elsewhere(pf, text, f, name)):
                kept.append(f)
        if kept:
            out.append(replace(pf, findings=tuple(kept)))
    return tuple(out)


# What may stand between two names of one spoken list: other names (particles included, as a
# recogniser writes "Rosa de la Cua" for "Rosa Delacroix"), commas and "and".
_LIST_BETWEEN = re.compile(r"\s*(?:(?:,|\band\b|\b[A-Z][a-z'-]*\b|\b(?:de|del|la|le|van|von|da|di|du)\b)\s*)+")


def _listed_with_staff(text: str, finding: "Finding", staff_full: set[str]) -> bool:
    """Whether a name in a transcript is one of a list of people that names a staff member in
    full ("Present are Ellen Sandoval, Rosa de la Cua and Nate Ridley", where the narrative says
    Ellen Sandoval leads the fluency sessions): a meeting's roll call names its members together,
    and the recogniser garbles the words that would have said so."""
    for staff in (n for n in staff_full if " " in n):
        for m in re.finditer(re.escape(staff), text):
            if m.end() <= finding.char_start:
                between = text[m.end():finding.char_start]
            elif finding.char_end <= m.start():
                between = text[finding.char_end:m.start()]
            else:
                continue
            if len(between) <= 80 and "\n" not in between and _LIST_BETWEEN.fullmatch(between) \
                    and re.search(r",|\band\b", between):
                return True
    return False


def _misheard_staff(name: str, first_names: set[str]) -> bool:
    """Whether a name in a transcript starts with a staff member's first name as the recogniser
    may spell it ("Lorna Colleen" for "Lorena co-lead"): one letter added, dropped or changed.
    The recogniser spells names its own way and runs them into the words after them, so a
    spoken name cannot be matched letter for letter with the names the candidate wrote."""
    first = name.split()[0]
    return len(first) >= 4 and any(
        first == staff or len(staff) >= 4 and abs(len(staff) - len(first)) <= 1 and _one_edit(first.lower(), staff.lower())
        for staff in first_names)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    return any(a == b[:i] + b[i + 1:] for i in range(len(b)))


# Words that follow a school's or district's name: "Pine Hollow Elementary", "Cedar Ridge R-II".
_INSTITUTION = re.compile(
    r"[ \t]+(?:Elementary|Middle|High|Junior High|Intermediate|Primary|Upper|Lower|School|Schools|Academy|Campus|"
    r"District|County|Community|Early|Learning Center|R-[IVX\d]+)\b")


def places_named_elsewhere(found: Sequence[PageFindings], texts: dict[tuple[str, int | None], str]
                           ) -> tuple[PageFindings, ...]:
    """``found`` without student names read from the prose around them that the submission
    writes elsewhere as the name of a school or district ("Pine Hollow Elementary"): "Pine
    Hollow's assessment problem" is the school's, though a possessive before a record word
    ("assessment") reads like a student's (the tagger takes a place it does not know for a person)."""
    every = "\n".join(texts.values())

    def place(pf: PageFindings, text: str, f: Finding, name: str) -> bool:
        return any(_INSTITUTION.match(every, m.end()) for m in re.finditer(rf"(?<![\w-]){re.escape(name)}", every))

    return _without_prose_names(found, texts, place)


def _contact_key(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return value.strip().lower() if "@" in value else digits[-10:]


def contacts_known_elsewhere(found: Sequence[PageFindings], texts: dict[tuple[str, int | None], str]
                             ) -> tuple[PageFindings, ...]:
    """``found`` without e-mail addresses and phone numbers that another place of the submission
    writes as an adult's own (found there and not flagged: a signature, a letterhead): the
    principal's address alone in the footer of a deck's last slide is still hers."""
    flagged = {(pf.file, pf.page): [(f.char_start, f.char_end) for f in pf.findings if f.kind in ("email", "phone")]
               for pf in found}
    adults: set[str] = set()
    for key, text in texts.items():
        for m in (*_EMAIL.finditer(text), *_PHONE.finditer(text)):
            if not any(a <= m.start() < b for a, b in flagged.get(key, [])):
                adults.add(_contact_key(m.group()))
    out = []
    for pf in found:
        text = texts.get((pf.file, pf.page), "")
        # the details given together with an adult's own are that adult's too ("nvoss@… or (660)
        # 555-0171", where the address is the candidate's signature elsewhere)
        joined = {m.start(): [x.group() for x in g] for g in contact_groups(text) for m in g}
        kept = tuple(f for f in pf.findings if not (f.kind in ("email", "phone") and any(
            _contact_key(value) in adults
            for value in joined.get(f.char_start) or [text[f.char_start : f.char_end]])))
        if kept:
            out.append(replace(pf, findings=kept))
    return tuple(out)


class PassageRedactor:
    """Quoted passage text with detected personal data replaced by placeholders.

    A detected string is replaced wherever it recurs in the submission's quoted text, not only
    at the place it was detected: a student named once in a roster and again in a passage
    without any student cue is still the same student."""

    def __init__(self, files: Iterable[tuple[object, "Document"]], found: Iterable[PageFindings]) -> None:
        texts = {d.name: {p.number: p.text for p in d.pages} for _, d in files}
        needles: dict[str, str] = {}
        for pf in found:
            text = texts.get(pf.file, {}).get(pf.page, "")
            for f in pf.findings:
                value = " ".join(text[f.char_start : f.char_end].split())
                if value:
                    needles.setdefault(value, PLACEHOLDERS[f.kind])
        # Longest first, so "Maya Lopez" is replaced whole before any shorter string inside it.
        self._needles = sorted(needles.items(), key=lambda kv: -len(kv[0]))
        self._pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(k)}(?!\w)" for k, _ in self._needles)) if self._needles else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        lookup = dict(self._needles)
        return self._pattern.sub(lambda m: lookup[m.group()], text)
