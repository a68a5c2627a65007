"""Raw table of the web source (Segment-style events); see docs/sources.md."""

from ingestion.common.schema import TableSpec, cols

EVENTS = TableSpec("events", ("message_id",), cols(
    "message_id! type event anonymous_id user_id timestamp:timestamp! sent_at:timestamp "
    "received_at:timestamp page_path page_url page_referrer page_title utm_source utm_medium "
    "utm_campaign utm_term utm_content user_agent device_type traits_email product_id order_id "
    "experiment_id variant revenue:double properties:json source_file"),
    identifiers={"anonymous_id": "anonymous_id", "user_id": "app_user_id",
                 "traits_email": "email"})

TABLES = {EVENTS.name: EVENTS}
