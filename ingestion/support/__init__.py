"""Support source (Zendesk Support API shape)."""

from ingestion.support.source import support_source

__all__ = ["support_source"]
