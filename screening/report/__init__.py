"""The advisory report: model (JSON, with a published schema), builder and renderings."""

from .model import SCHEMA_VERSION, Report, json_schema

__all__ = ["SCHEMA_VERSION", "Report", "json_schema"]
