"""CRM source (HubSpot CRM v3 shape)."""

from ingestion.crm.source import crm_source

__all__ = ["crm_source"]
