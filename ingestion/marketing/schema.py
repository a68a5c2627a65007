"""Raw tables of the marketing source (email API + file exports); see docs/sources.md."""

from ingestion.common.schema import TableSpec, cols

API_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("campaigns", ("id",), cols(
            "id! name channel utm_source utm_medium utm_campaign subject "
            "send_time:timestamp start_date:timestamp end_date:timestamp budget:double "
            "created:timestamp updated:timestamp!"), cursor="updated"),
        TableSpec("profiles", ("id",), cols(
            "id! email first_name last_name external_id consent "
            "consent_updated_at:timestamp created:timestamp updated:timestamp!"),
            cursor="updated", identifiers={"id": "marketing_profile_id", "email": "email",
                                           "external_id": "app_user_id"}),
        TableSpec("email_events", ("id",), cols(
            "id! profile_id campaign_id event_type! url datetime:timestamp! "
            "updated:timestamp!"), cursor="updated",
            identifiers={"profile_id": "marketing_profile_id"}),
        TableSpec("coupons", ("id",), cols(
            "id! code campaign_id discount_type discount_value:double valid_from:timestamp "
            "valid_to:timestamp created:timestamp updated:timestamp!"), cursor="updated"),
        TableSpec("coupon_redemptions", ("id",), cols(
            "id! coupon_id code order_id profile_id email redeemed_at:timestamp! "
            "updated:timestamp!"), cursor="updated",
            identifiers={"order_id": "crm_order_id", "profile_id": "marketing_profile_id",
                         "email": "email"}),
    )
}

FILE_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("ad_spend", ("date", "platform", "campaign_id"), cols(
            "date:date! platform! campaign_id! utm_campaign impressions:bigint clicks:bigint "
            "spend:double currency"), extra={"folder": "ad_spend"}),
        TableSpec("survey_responses", ("response_id",), cols(
            "response_id! survey! email contact_id score:bigint! comment trigger "
            "ticket_id:bigint submitted_at:timestamp!"), extra={"folder": "surveys"},
            identifiers={"email": "email", "contact_id": "crm_contact_id",
                         "ticket_id": "support_ticket_id"}),
        TableSpec("experiment_assignments", ("experiment_id", "anonymous_id"), cols(
            "experiment_id! experiment_name variant! anonymous_id! user_id "
            "assigned_at:timestamp!"), extra={"folder": "experiments"},
            identifiers={"anonymous_id": "anonymous_id", "user_id": "app_user_id"}),
    )
}

TABLES: dict[str, TableSpec] = {**API_TABLES, **FILE_TABLES}
