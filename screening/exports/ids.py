"""Stable identifiers for exported rubric elements.

Every id is derived from the rubric id, its version and the element's id, so exporting the same
rubric version twice gives the same ids and a new version gives new ones (past credentials keep
pointing at the rubric they were earned on). OB 3.0 uses URLs under the deployment's base URL;
CASE wants UUIDs, so those are UUID 5 of the same path.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit

from ..errors import Errors, ExportError
from ..rubric import Rubric

# Fixed for ever: changing it would change every exported CASE identifier.
CASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mc-screening.example/ns/case")


def normalise_base_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ExportError(Errors.E022.format(url=base_url))
    return base_url.strip().rstrip("/")


def _seg(value: str) -> str:
    return quote(value, safe="")


def rubric_path(rubric: Rubric) -> str:
    return f"{_seg(rubric.id)}/{_seg(rubric.version)}"


def achievement_id(rubric: Rubric, base: str) -> str:
    return f"{base}/ob3/achievements/{rubric_path(rubric)}"


def eo_result_id(rubric: Rubric, base: str, eo_id: str) -> str:
    return f"{achievement_id(rubric, base)}/eo/{_seg(eo_id)}"


def detail_result_id(rubric: Rubric, base: str, detail_id: str) -> str:
    return f"{achievement_id(rubric, base)}/details/{_seg(detail_id)}"


def level_id(result_description_id: str, level: str) -> str:
    return f"{result_description_id}/levels/{_seg(level)}"


def case_uuid(rubric: Rubric, *element: str) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, "/".join([rubric.id, rubric.version, *element])))


def case_uri(base: str, collection: str, identifier: str) -> str:
    """The CASE REST path of an object (``/ims/case/v1p0/<collection>/<uuid>``)."""
    return f"{base}/ims/case/v1p0/{collection}/{identifier}"
