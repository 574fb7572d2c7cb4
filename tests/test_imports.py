"""`import screening` stays light: no model library is imported until a model is needed."""

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "spacy", "transformers", "pdfplumber", "faster_whisper", "sklearn")


def test_importing_the_library_loads_no_model_library():
    code = (
        "import sys, screening, screening.pipeline, screening.cli, screening.rubric, screening.report.render\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported at import time: {out}"
