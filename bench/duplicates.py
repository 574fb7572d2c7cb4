"""Shared and duplicate evidence across candidates: precision and recall on planted duplicates
among realistic submissions, and the time to check one submission against 10,000 stored ones.

Data: the 16 submissions of bench/independent (dev and test splits, written blind to the
screener) and examples/professional-learning, each a different candidate. Their text files and
PDFs are read and cut into passages exactly as the screener does (recordings are left out: their
transcripts would need Whisper runs and add nothing a text passage does not). Every submission
also gets the same two planted *template* paragraphs (program handout wording) and the text of
two of its rubric's details copied verbatim (rubric echo), so boilerplate is everywhere.

Then each submission B in turn is the one checked (the others are stored), with planted content
from other candidates A:

- ``exact artifact``: one of A's artifact PDFs, the same bytes (same SHA-256);
- ``team document (same file)``: another of A's PDFs, the same bytes, as a team document in both
  portfolios;
- ``team document (re-exported)``: a third A's PDF text again under another content hash (the
  same document exported twice gives other bytes);
- ``paraphrase``: three of A's narrative or reflection passages, lightly rewritten by fixed rules
  (synonyms, changed names and numbers, a leading clause moved to the end, sentence order);
- hard negatives, never to be reported: B's own writing (the other candidates of the same MC
  write about the same EOs in their own words), the template paragraphs and the rubric text.

A unit is found when a match links the planted content of B to its source in A (for a
document: any artifact or passage match between the two files). A reported match from content of
B that was not planted from that A is a false positive, counted under the kind of B's content it
came from (own words, template or rubric, or a planted kind matched to the wrong place).
Baseline: exact hash matching alone; full method: screening.duplicates with the default settings.

Speed: 10,000 stored submissions are synthesised from the real passages' vectors: each takes
the median number of indexed passages of a real submission, drawn at random from the pool of real
passages, each vector moved by Gaussian noise (cosine about 0.7 to its original, so they are new
passages, not copies) and re-normalised; texts are the originals' (for the lexical check); the
other 16 real submissions are stored too, so there is something to find. One real submission (with
its planted content) is checked against them, several runs, median, three ways interleaved: exact
hashes only (baseline), the exact product of every pair (the previous method) and the two-stage
check (the default), whose matches must be the exact product's.

Run: ``python -m bench.duplicates [--no-write] [--stored 10000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from screening.duplicates import DuplicateIndex, EvidenceFile, EvidenceRecord, indexable, make_record, rubric_stems
from screening.passages import Passage

from .results import append_section

REPO = Path(__file__).resolve().parents[1]
SOURCES = [(REPO / "bench" / "independent" / "dev", "dev"), (REPO / "bench" / "independent" / "test", "test"),
           (REPO / "examples", "dev")]

TEMPLATE = [
    "This portfolio follows the program's submission guide: Part 1 answers each guiding question in a "
    "responsive narrative, Part 2 lists every artifact with the page or time stamp that shows each detail, "
    "and Part 3 reflects on the learning and describes a plan to share it with colleagues.",
    "All names of students have been removed from the artifacts, and every document was collected during "
    "the current school year with the permission of the building principal and the district office.",
]

SYNONYMS = {
    "teachers": "staff members", "teacher": "educator", "students": "learners", "student": "learner",
    "meeting": "session", "meetings": "sessions", "data": "results", "improve": "strengthen",
    "improved": "strengthened", "reviewed": "examined", "review": "examination", "plan": "strategy",
    "goal": "target", "goals": "targets", "team": "group", "teams": "groups", "school": "building",
    "began": "started", "started": "began", "each": "every", "used": "relied on", "use": "employ",
    "shared": "presented", "feedback": "comments", "weekly": "every week", "monthly": "every month",
    "classroom": "class", "classrooms": "classes", "results": "scores", "showed": "indicated",
    "together": "jointly", "asked": "invited", "decided": "agreed", "first": "initial",
    "created": "built", "developed": "designed", "focus": "emphasis", "grade": "grade-level",
}
SKIP_NAMES = {"English", "Spanish", "Missouri", "School", "District", "Title", "Tier", "Middle", "High", "Elementary"}
NAMES = ["Alvarez", "Brennan", "Castillo", "Dawson", "Everett", "Fletcher", "Garrison", "Holloway"]
_WORD = re.compile(r"[A-Za-z]+|\d+|[^A-Za-z\d]+")


def paraphrase(text: str, seed: int) -> str:
    """A light, deterministic rewrite: synonyms, other numbers, the first two proper names
    (capitalised words inside a sentence) replaced consistently, a leading clause moved to the end
    of its sentence, and the two sentences of a passage swapped."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    renamed: dict[str, str] = {}
    out = []
    for k, sent in enumerate(sentences):
        m = re.match(r"^((?:In|During|After|Before|At|By|Over|With|Since|When)\b[^,]{3,60}),\s+(.+?)([.!?])$", sent)
        if m:
            body = m.group(2)
            sent = body[0].upper() + body[1:] + " " + m.group(1)[0].lower() + m.group(1)[1:] + m.group(3)
        words = []
        for i, tok in enumerate(_WORD.findall(sent)):
            low = tok.lower()
            if tok.isdigit():
                tok = str(int(tok) + 1 + (seed + i) % 3)
            elif low in SYNONYMS:
                rep = SYNONYMS[low]
                tok = rep[0].upper() + rep[1:] if tok[0].isupper() else rep
            elif i > 0 and tok[0].isupper() and len(tok) > 3 and not tok.isupper() and tok not in SKIP_NAMES:
                if tok not in renamed and len(renamed) < 2:
                    renamed[tok] = NAMES[(seed + len(renamed)) % len(NAMES)]
                tok = renamed.get(tok, tok)
            words.append(tok)
        out.append("".join(words))
    if len(out) == 2:
        out = [out[1], out[0]]
    return " ".join(out)


@dataclass
class Sub:
    key: str
    split: str
    rubric_id: str
    files: list[EvidenceFile]
    passages: list[Passage]  # indexable ones, their own
    pdf_passages: dict[str, list[Passage]]  # artifact PDF sha256 → its indexable passages
    pdf_names: dict[str, str]
    writing: list[Passage]  # indexable narrative / reflection passages


def _pid(text: str, tag: str) -> str:
    return hashlib.sha1(f"{tag}:{text}".encode()).hexdigest()[:12]


def load(settings, cache: Path) -> tuple[list[Sub], dict]:
    from screening.ingest.sniff import sniff
    from screening.documents import FileKind
    from screening.models import spacy_pipeline
    from screening.passages import build_passages
    from screening.pipeline import ingest_submission
    from screening.rubric import RubricCatalogue
    from screening.submission import Submission, from_folder

    catalogue = RubricCatalogue(settings.rubric_dirs)
    nlp = spacy_pipeline(settings.models)
    subs: list[Sub] = []
    rubrics = {}
    for root, split in SOURCES:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / "submission.yaml").exists())
        if root.name == "examples":
            folders = [root / "professional-learning"]
        for folder in folders:
            sub = from_folder(folder)
            keep = [f for f in sub.files if sniff(f.path).kind not in (FileKind.AUDIO, FileKind.VIDEO)]
            sub = Submission(files=keep, rubric_id=sub.rubric_id)
            rubric = rubrics.setdefault(sub.rubric_id, catalogue.get(sub.rubric_id))
            docs = ingest_submission(sub, settings)
            readable = [(f, d) for f, d in docs if d.readable and f.role != "self_analysis"]
            passages = build_passages(((d, f.part) for f, d in readable), nlp, settings.passages)
            # planted boilerplate: the template paragraphs and two of the rubric's details, verbatim
            details = [d.text for _, d in rubric.details()][:2]
            extra = [Passage(id=_pid(t, folder.name), file="narrative-template", file_sha256="tmpl-" + folder.name,
                             part="narrative", page=None, char_start=0, char_end=len(t), text=t,
                             words=len(t.split()), paragraph=90 + i) for i, t in enumerate(TEMPLATE + details)]
            good = indexable(passages + extra, settings.duplicates, rubric)
            files = [EvidenceFile(name=f.name, sha256=d.sha256, part=f.part) for f, d in docs]
            pdfs = {d.sha256: f.name for f, d in docs if f.role == "artifact" and d.kind == FileKind.PDF}
            subs.append(Sub(key=f"{split}/{folder.name}", split=split, rubric_id=sub.rubric_id, files=files,
                            passages=good,
                            pdf_passages={h: [p for p in good if p.file_sha256 == h] for h in pdfs},
                            pdf_names=pdfs,
                            writing=[p for p in good if p.part in ("narrative", "reflection") and p.words >= 20
                                     and not p.file.startswith("narrative-template")]))
    return subs, rubrics


@dataclass
class Planted:
    kind: str
    source: str  # A's key
    here_sha: str | None = None  # the file in B (artifact kinds)
    there_sha: str | None = None  # the file in A
    here_ids: set[str] = field(default_factory=set)  # passage ids in B (paraphrase)
    there_texts: set[str] = field(default_factory=set)


KINDS = ["exact artifact", "team document (same file)", "team document (re-exported)", "paraphrase"]


def checked_record(b_index: int, subs: list[Sub], embed) -> tuple[EvidenceRecord, list[Planted], set[str], list[str]]:
    """B with planted content from others; the planted units; B's template/rubric passage ids; the
    record's passage ids in order."""
    n = len(subs)
    b = subs[b_index]
    files = list(b.files)
    passages = list(b.passages)
    planted: list[Planted] = []

    def source_with_pdfs(offset: int, need: int) -> Sub:
        for k in range(n):
            a = subs[(b_index + offset + k) % n]
            if a.key != b.key and len([h for h, ps in a.pdf_passages.items() if ps]) >= need:
                return a
        raise RuntimeError("no source submission with PDFs")

    a1 = source_with_pdfs(1, 1)
    h1 = next(h for h, ps in a1.pdf_passages.items() if ps)
    files.append(EvidenceFile(name="artifacts/copied.pdf", sha256=h1, part="portfolio"))
    passages += a1.pdf_passages[h1]
    planted.append(Planted("exact artifact", a1.key, here_sha=h1, there_sha=h1))

    a2 = source_with_pdfs(2, 2)
    h2 = [h for h, ps in a2.pdf_passages.items() if ps][1]
    files.append(EvidenceFile(name="artifacts/team.pdf", sha256=h2, part="portfolio"))
    passages += a2.pdf_passages[h2]
    planted.append(Planted("team document (same file)", a2.key, here_sha=h2, there_sha=h2))

    a3 = source_with_pdfs(3, 1)
    h3 = [h for h, ps in a3.pdf_passages.items() if ps][-1]
    new_sha = hashlib.sha256(f"re-exported:{b.key}:{h3}".encode()).hexdigest()
    files.append(EvidenceFile(name="artifacts/team-export.pdf", sha256=new_sha, part="portfolio"))
    passages += [replace(p, id=_pid(p.text, "re" + b.key), file="artifacts/team-export.pdf", file_sha256=new_sha)
                 for p in a3.pdf_passages[h3]]
    planted.append(Planted("team document (re-exported)", a3.key, here_sha=new_sha, there_sha=h3))

    a4 = subs[(b_index + 4) % n]
    rng = np.random.default_rng(b_index)
    chosen = rng.choice(len(a4.writing), size=min(3, len(a4.writing)), replace=False)
    for j, idx in enumerate(sorted(chosen)):
        src = a4.writing[int(idx)]
        text = paraphrase(src.text, b_index * 7 + j)
        p = replace(src, id=_pid(text, "para" + b.key), file="narrative-extra", file_sha256="para-" + b.key,
                    text=text)
        passages.append(p)
        planted.append(Planted("paraphrase", a4.key, here_ids={p.id}, there_texts={src.text}))
    boiler = {p.id for p in b.passages if p.file == "narrative-template"}
    vecs = embed([p.text for p in passages])
    return make_record(b.key, b.key, files, passages, vecs), planted, boiler, [p.id for p in passages]


def stored_records(subs: list[Sub], embed) -> dict[str, EvidenceRecord]:
    out = {}
    for s in subs:
        out[s.key] = make_record(s.key, s.key, s.files, s.passages, embed([p.text for p in s.passages]))
    return out


@dataclass
class Tally:
    planted: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    found: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    tp: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    fp: dict[str, int] = field(default_factory=dict)
    fp_examples: list[str] = field(default_factory=list)

    def add_fp(self, kind: str, example: str) -> None:
        self.fp[kind] = self.fp.get(kind, 0) + 1
        if len(self.fp_examples) < 8:
            self.fp_examples.append(f"{kind}: {example}")


def score(matches, planted: list[Planted], boiler: set[str], ids: list[str], record: EvidenceRecord,
          tally: Tally) -> None:
    ids_of = {i: p for i, p in enumerate(record.passages)}
    para_ids = {i: pl for pl in planted for i in pl.here_ids}
    doc_of_sha = {pl.here_sha: pl for pl in planted if pl.here_sha}
    hit: set[int] = set()
    for pl in planted:
        tally.planted[pl.kind] += 1
    for m in matches:
        if m.kind == "artifact":
            pl = doc_of_sha.get(m.sha256)
            if pl is not None and pl.source == m.other:
                tally.tp[pl.kind] += 1
                hit.add(id(pl))
            else:
                tally.add_fp("own files" if pl is None else pl.kind, f"{record.key} file {m.here_file.name} ~ {m.other}")
            continue
        here = ids_of[m.here_index]
        pid = ids[m.here_index]
        pl = doc_of_sha.get(here.file_sha256) or para_ids.get(pid)
        if pl is not None and pl.source == m.other and (
                (pl.kind == "paraphrase" and m.there.text in pl.there_texts)
                or (pl.kind != "paraphrase" and m.there.file_sha256 == pl.there_sha)):
            tally.tp[pl.kind] += 1
            hit.add(id(pl))
            continue
        if pl is not None:
            kind = pl.kind
        elif pid in boiler:
            kind = "template or rubric text"
        else:
            kind = "own words"
        tally.add_fp(kind, f"{record.key} «{here.text[:70]}» ~ {m.other} «{m.there.text[:70]}» "
                           f"({m.score:.2f}, lexical {m.lexical})")
    for pl in planted:
        if id(pl) in hit:
            tally.found[pl.kind] += 1


def evaluate(subs: list[Sub], rubrics, embed, cfg, split: str, passages: bool) -> Tally:
    stored = stored_records(subs, embed)
    tally = Tally()
    cfg = cfg.model_copy(update={"passages": passages})
    for i, b in enumerate(subs):
        if b.split != split:
            continue
        record, planted, boiler, ids = checked_record(i, subs, embed)
        index = DuplicateIndex()
        for key, rec in stored.items():
            if key != b.key:
                index.add(rec)
        matches = index.check(record, cfg, rubrics[b.rubric_id])
        score(matches, planted, boiler, ids, record, tally)
    return tally


def table(name: str, t: Tally) -> list[str]:
    rows = []
    for kind in KINDS:
        tp, fp = t.tp[kind], t.fp.get(kind, 0)
        prec = f"{tp / (tp + fp):.2f}" if tp + fp else "–"
        rec = f"{t.found[kind] / t.planted[kind]:.2f}" if t.planted[kind] else "–"
        rows.append(f"| {name} | {kind} | {t.planted[kind]} | {t.found[kind]} | {rec} | {tp} | {fp} | {prec} |")
    for kind in ("own words", "template or rubric text", "own files"):
        rows.append(f"| {name} | hard negative: {kind} | – | – | – | – | {t.fp.get(kind, 0)} | – |")
    tp_all = sum(t.tp.values())
    fp_all = sum(t.fp.values())
    found_all, planted_all = sum(t.found.values()), sum(t.planted.values())
    rows.append(f"| {name} | **all** | {planted_all} | {found_all} | {found_all / planted_all:.2f} | {tp_all} | "
                f"{fp_all} | {tp_all / (tp_all + fp_all) if tp_all + fp_all else float('nan'):.2f} |")
    return rows


def synthetic_index(subs: list[Sub], embed, n: int, seed: int = 0) -> tuple[DuplicateIndex, int]:
    pool_text = [p for s in subs for p in s.passages]
    pool = embed([p.text for p in pool_text])
    per = int(statistics.median(len(s.passages) for s in subs))
    rng = np.random.default_rng(seed)
    index = DuplicateIndex()
    dim = pool.shape[1]
    for k in range(n):
        pick = rng.integers(0, len(pool_text), size=per)
        noise = rng.standard_normal((per, dim)).astype(np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        v = pool[pick] * 0.7 + noise * 0.714  # cosine about 0.7 to the original
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        files = [EvidenceFile(name=f"f{k}-{j}", sha256=hashlib.sha256(f"{k}:{j}".encode()).hexdigest(),
                              part="portfolio") for j in range(6)]
        index.add(make_record(f"syn-{k}", f"owner-{k}", files, [pool_text[i] for i in pick], v))
    return index, per


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--stored", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from screening.embedding import get_embedder
    from screening.settings import Settings
    from screening.cpu import cpu_flags

    cache = Path(os.environ.get("BENCH_CACHE", Path(tempfile.gettempdir()) / "bench-duplicates-cache"))
    settings = Settings(cache_dir=cache, rubric_dirs=[REPO / "rubrics"])
    embedder = get_embedder(settings)
    embed = embedder.encode
    t0 = time.perf_counter()
    subs, rubrics = load(settings, cache)
    print(f"loaded {len(subs)} submissions in {time.perf_counter() - t0:.0f} s")
    cfg = settings.duplicates
    lines = [f"Settings: `duplicates` defaults ({cfg.model_dump_json()}). CPU flags: "
             f"{', '.join(sorted(f for f in cpu_flags() if f.startswith(('avx', 'amx', 'fma', 'sse4_2'))))}; "
             f"{os.cpu_count()} cores.", "",
             f"{len(subs)} real submissions (bench/independent dev {sum(s.split == 'dev' for s in subs) - 1} and "
             f"test {sum(s.split == 'test' for s in subs)}, plus examples/professional-learning, counted with dev); "
             f"each checked against the other {len(subs) - 1}, with planted content (module docstring). "
             "Units: a planted file or passage is found when a match links it to its source; "
             "TP/FP count reported matches.", "",
             "| Method | Kind | Planted | Found | Recall | TP matches | FP matches | Precision |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    forced = cfg.model_copy(update={"prefilter_min_rows": 0})  # the two-stage check even on 17 submissions
    same_pr = {}
    for split in ("dev", "test"):
        base = evaluate(subs, rubrics, embed, cfg, split, passages=False)
        full = evaluate(subs, rubrics, embed, cfg, split, passages=True)
        lines += [f"| **{split}** | | | | | | | |"]
        lines += table("exact hash only (baseline)", base)
        lines += table("full method", full)
        if split == "dev":
            two = evaluate(subs, rubrics, embed, forced, split, passages=True)
            lines += table("full method, two-stage check forced", two)
            same_pr[split] = (two.tp, two.fp, two.found) == (full.tp, full.fp, full.found)
        for ex in full.fp_examples:
            print("FP", split, ex)
    lines += ["", "“full method” runs the exact product here (17 submissions are far below "
              f"`prefilter_min_rows`); “two-stage check forced” sets `prefilter_min_rows: 0`. Same counts on dev: "
              f"{'yes' if same_pr['dev'] else 'NO'}."]
    # speed against 10,000 stored (and the 16 other real submissions, so there is something to find)
    before = rss_mb()
    t0 = time.perf_counter()
    index, per = synthetic_index(subs, embed, args.stored)
    for key, rec in stored_records(subs[1:], embed).items():
        index.add(rec)
    build_s = time.perf_counter() - t0
    record, *_ = checked_record(0, subs, embed)
    exact_cfg = cfg.model_copy(update={"prefilter_dims": 0})
    stems = rubric_stems(rubrics[subs[0].rubric_id])
    t0 = time.perf_counter()
    first = index.check(record, cfg, stems=stems)  # fits the prefilter's projection (once; again when doubled)
    fit_s = time.perf_counter() - t0
    after = rss_mb()
    times, exact_times, base_times = [], [], []
    found = exact = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        found = index.check(record, cfg, stems=stems)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        exact = index.check(record, exact_cfg, stems=stems)
        exact_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.check(record, cfg.model_copy(update={"passages": False}), stems=stems)
        base_times.append(time.perf_counter() - t0)
    same = found == exact == first
    med, exact_med, base_med = (statistics.median(t) for t in (times, exact_times, base_times))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Check one submission ({len(record.passages)} indexed passages, {len(record.files)} files) against "
              f"{args.stored:,} synthetic stored submissions plus the other {len(subs) - 1} real ones "
              f"({index.passages:,} passages, {per} each: the real submissions' "
              f"median; synthesised from the real passages' vectors, each moved by Gaussian noise to cosine ≈ 0.7 "
              f"and re-normalised): median of {args.runs} runs, the three methods interleaved.", "",
              "| Method | Median time | × baseline | Runs (s) |", "|---|---:|---:|---|",
              f"| exact hash only (baseline) | {base_med * 1000:.2f} ms | 1 | "
              f"{', '.join(f'{t:.4f}' for t in base_times)} |",
              f"| exact product of every pair (the previous full method, `prefilter_dims: 0`) | "
              f"{exact_med * 1000:.0f} ms | {exact_med / base_med:.0f} | {', '.join(f'{t:.3f}' for t in exact_times)} |",
              f"| two-stage check (default: bound from {cfg.prefilter_dims} dimensions, then exact) | "
              f"{med * 1000:.0f} ms | {med / base_med:.0f} | {', '.join(f'{t:.3f}' for t in times)} |",
              "", f"Two-stage / exact product: {med / exact_med:.2f} (×{exact_med / med:.1f} faster). Same matches "
              f"(every field, same order) from both: {'yes' if same else 'NO'} ({len(found)} matches, "
              f"{sum(m.kind == 'passage' for m in found)} of them passages). The first check fitted the projection: "
              f"{fit_s:.1f} s, once (again only when the index has doubled). Index in memory: "
              f"{index.nbytes / 2**20:.0f} MiB (int8 chunks {sum(c.nbytes for c in index._chunks) / 2**20:.0f} MiB, "
              f"projection {sum(c.nbytes for c in index._proj) / 2**20:.0f} MiB, row bookkeeping); process RSS grew "
              f"{after - before:.0f} MiB while building it (records with their passages' texts, {build_s:.0f} s to "
              f"synthesise, and the fit); peak RSS {peak:.0f} MiB (the whole run, evaluation included)."]
    print("\n".join(lines))
    if not args.no_write:
        append_section("Shared and duplicate evidence (python -m bench.duplicates)", lines)


if __name__ == "__main__":
    main()
