"""Assign the dev/test split of answers.csv once, with a fixed seed.

Stratified by (qid, score): within each stratum the rows are sorted by id, shuffled with
random.Random(SEED), and the first half goes to dev, the rest to test. When a stratum has an
odd number of rows, its extra row alternates between dev and test from one question to the
next within the same score (strata taken in sorted order; the first extra goes to dev for
scores 0 and 2 and to test for scores 1 and 3), so each score is split within one row and
the two splits stay within a few rows of each other.

The split depends only on SEED, the ids, qids and scores, so running this again gives the
same split. It rewrites the `split` column of answers.csv in place (all other columns and the
row order are kept) and prints the counts.

Usage:  python make_split.py
"""
import csv
import random
from collections import Counter, defaultdict
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "answers.csv"
FIELDS = ["id", "qid", "split", "answer", "elements", "score"]


def main() -> None:
    with CSV_PATH.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    strata = defaultdict(list)
    for r in rows:
        strata[(r["qid"], int(r["score"]))].append(r["id"])
    rng = random.Random(SEED)
    split = {}
    odd_to_dev = {score: score % 2 == 0 for score in range(4)}
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        half = len(ids) // 2
        if len(ids) % 2:
            score = key[1]
            half += 1 if odd_to_dev[score] else 0
            odd_to_dev[score] = not odd_to_dev[score]
        for i, rid in enumerate(ids):
            split[rid] = "dev" if i < half else "test"
    for r in rows:
        r["split"] = split[r["id"]]
    with CSV_PATH.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"seed {SEED}: {len(rows)} answers")
    c = Counter((r["split"], r["score"]) for r in rows)
    for s in ("dev", "test"):
        n = sum(v for (sp, _), v in c.items() if sp == s)
        print(s, n, {k: c[(s, str(k))] for k in range(4)})


if __name__ == "__main__":
    main()
