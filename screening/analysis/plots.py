"""The analysis report's plots, rendered to PNG files with matplotlib's Agg backend (no display)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .run import RubricAnalysis


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def rates_plot(r: RubricAnalysis, path: Path) -> Path:
    plt = _pyplot()
    ids = [x.detail_id for x in r.rates]
    y = np.arange(len(ids))
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(ids) + 1.2))
    judged = np.array([x.judged_missing for x in r.rates])
    ax.barh(y - 0.2, judged, 0.4, label="judged missing (first marker)", color="#c0392b")
    ax.errorbar(judged, y - 0.2, xerr=[judged - [x.judged_missing_low for x in r.rates],
                                       np.array([x.judged_missing_high for x in r.rates]) - judged],
                fmt="none", ecolor="black", capsize=2, lw=0.8)
    ax.barh(y + 0.2, [x.advisory_missing for x in r.rates], 0.4, label="advised missing (screener)", color="#e59866")
    ax.set_yticks(y, ids)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of submissions")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def agreement_plot(r: RubricAnalysis, path: Path, statistic: str = "kappa_quadratic") -> Path:
    plt = _pyplot()
    rows = [row for row in r.agreement if row.scope in ("detail", "eo", "overall")]
    labels = [f"{'EO ' if row.scope == 'eo' else ''}{row.subject}" for row in rows]
    est = [row.estimates[statistic] for row in rows]
    v = np.array([e.value for e in est])
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 1.2))
    y = np.arange(len(rows))
    colours = ["#2e86c1" if row.scope == "detail" else "#1b4f72" for row in rows]
    ax.errorbar(v, y, xerr=[v - [e.low for e in est], np.array([e.high for e in est]) - v], fmt="none",
                ecolor="grey", capsize=2, lw=0.8)
    ax.scatter(v, y, c=colours, zorder=3)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(-0.2, 1.05)
    ax.set_xlabel(f"{statistic.replace('_', ' ')} with 95% interval (double-marked submissions)")
    return _save(fig, path)


def severity_plot(r: RubricAnalysis, path: Path) -> Path:
    plt = _pyplot()
    rows = [s for s in r.severity if not np.isnan(s.offset)]
    fig, ax = plt.subplots(figsize=(6, 0.4 * max(len(rows), 1) + 1.2))
    y = np.arange(len(rows))
    v = np.array([s.offset for s in rows])
    ax.errorbar(v, y, xerr=[v - [s.low for s in rows], np.array([s.high for s in rows]) - v], fmt="o", capsize=3)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_yticks(y, [s.assessor for s in rows])
    ax.set_xlabel("levels above (+) / below (−) the median marker on the same work")
    return _save(fig, path)


def pairs_plot(r: RubricAnalysis, path: Path) -> Path:
    plt = _pyplot()
    ids = list(r.details)
    m = np.full((len(ids), len(ids)), np.nan)
    w = np.full((len(ids), len(ids)), np.nan)
    for p in r.pairs:
        i, j = ids.index(p.a), ids.index(p.b)
        m[i, j] = p.shared_share  # upper triangle: passages shared
        w[j, i] = p.wording  # lower triangle: wording similarity
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, data, title in ((axes[0], m, "same passage supports both (share)"), (axes[1], w, "wording similarity (TF-IDF cosine)")):
        im = ax.imshow(data, vmin=0, vmax=1, cmap="Oranges")
        ax.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7)
        ax.set_yticks(range(len(ids)), ids, fontsize=7)
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    return _save(fig, path)


def size_plot(r: RubricAnalysis, path: Path, submissions: list) -> Path:  # type: ignore[type-arg]
    plt = _pyplot()
    measures = [s.measure for s in r.sizes if s.measure.startswith("words_")]
    fig, axes = plt.subplots(1, max(len(measures), 1), figsize=(3.2 * max(len(measures), 1), 3.2))
    axes = np.atleast_1d(axes)
    for ax, m in zip(axes, measures):
        part = m[len("words_"):]
        groups = [[s.words_by_part.get(part, 0) for s in submissions if s.outcome == o] for o in ("earned", "not_yet")]
        ax.boxplot(groups, tick_labels=["earned", "not yet"])
        ax.set_title(f"words: {part}", fontsize=9)
    return _save(fig, path)
