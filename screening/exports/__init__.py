"""Exports of rubrics and released decisions to open standards.

- ``openbadges``: a rubric as an Open Badges 3.0 ``Achievement``; a released human decision as
  an (unsigned) ``AchievementCredential``.
- ``ob3_validate``: validation of both against the 1EdTech OB 3.0 JSON Schema, offline.
- ``case``: a rubric as a CASE ``CFRubric`` and back, exactly.
- ``decision``: the released-decision input the credential is built from.

See docs/exports.md.
"""
