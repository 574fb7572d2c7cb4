"""``python -m screening.report`` writes the report's JSON Schema to screening/report/report.schema.json."""

import json
from pathlib import Path

from .model import json_schema

SCHEMA_FILE = Path(__file__).with_name("report.schema.json")

if __name__ == "__main__":
    SCHEMA_FILE.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
