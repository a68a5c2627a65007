from ingestion.common.settings import configure_dlt

configure_dlt()
