"""The analyses of ``screening analyse`` (docs/analysis.md) run on the service's own data: the
pilot export of one MC (service/pilot_export.py) through ``screening.analysis.run_analyses``.

Results are kept in memory per (MC, data state): the state is a hash of the export, so any new
screening or released decision gives a new key and a fresh analysis, while reloading a page on
unchanged data costs only the export. Plots are drawn on request (matplotlib's Agg backend) from
the cached analysis, and kept beside it.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from screening.analysis import plots
from screening.analysis.run import Analysis, RubricAnalysis, run_analyses
from screening.pilot import PilotData, PilotSubmission

from .pilot_export import pilot_data

PLOTS = ("rates", "pairs", "agreement", "severity", "size")
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, str], "PilotAnalysis"] = OrderedDict()
_lock = threading.Lock()  # the cache
_draw = threading.Lock()  # pyplot keeps global state: one figure at a time


@dataclass
class PilotAnalysis:
    rubric_id: str
    key: str  # the data state: a hash of the export
    data: PilotData
    analysis: Analysis
    _pngs: dict[tuple[int, str], bytes] = field(default_factory=dict)

    def submissions_of(self, r: RubricAnalysis) -> list[PilotSubmission]:
        return [s for s in self.data.submissions if (s.rubric_id, s.rubric_version) == (r.rubric_id, r.rubric_version)]

    def plot(self, index: int, kind: str) -> bytes | None:
        """The PNG of one plot of the ``index``-th rubric version, or None if there is no such plot."""
        if kind not in PLOTS or not 0 <= index < len(self.analysis.rubrics):
            return None
        r = self.analysis.rubrics[index]
        if kind not in available_plots(r):
            return None
        with _draw:
            if (index, kind) not in self._pngs:
                buf = io.BytesIO()
                draw: dict[str, Callable[[], object]] = {
                    "rates": lambda: plots.rates_plot(r, buf),  # type: ignore[arg-type]
                    "pairs": lambda: plots.pairs_plot(r, buf),  # type: ignore[arg-type]
                    "agreement": lambda: plots.agreement_plot(r, buf),  # type: ignore[arg-type]
                    "severity": lambda: plots.severity_plot(r, buf),  # type: ignore[arg-type]
                    "size": lambda: plots.size_plot(r, buf, self.submissions_of(r)),  # type: ignore[arg-type]
                }
                draw[kind]()
                self._pngs[index, kind] = buf.getvalue()
            return self._pngs[index, kind]


def available_plots(r: RubricAnalysis) -> list[str]:
    """The plots that show something for this data (an empty chart helps nobody)."""
    out = []
    if any(x.submissions for x in r.rates):
        out.append("rates")
    if len(r.details) > 1:
        out.append("pairs")
    if r.summary.double_marked:
        out.append("agreement")
    if any(s.offset == s.offset for s in r.severity):  # not NaN
        out.append("severity")
    if any(s.measure.startswith("words_") and s.earned and s.not_yet for s in r.sizes):
        out.append("size")
    return out


def data_key(data: PilotData) -> str:
    body = data.model_dump_json(exclude={"generated_at"})
    return hashlib.sha256(body.encode()).hexdigest()[:20]


def analyse(session: Session, rubric_id: str) -> PilotAnalysis:
    """The analyses of one MC's data as it is now (from the cache when the data are unchanged)."""
    data = pilot_data(session, rubric_id)
    key = data_key(data)
    with _lock:
        held = _cache.get((rubric_id, key))
        if held is not None:
            _cache.move_to_end((rubric_id, key))
            return held
    result = PilotAnalysis(rubric_id, key, data, run_analyses(data))
    with _lock:
        _cache[rubric_id, key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def cached(rubric_id: str, key: str) -> PilotAnalysis | None:
    """An analysis computed before for this data state, if it is still held."""
    with _lock:
        return _cache.get((rubric_id, key))


__all__ = ["PLOTS", "PilotAnalysis", "analyse", "available_plots", "cached", "data_key"]
