"""Raw tables of the support source (Zendesk Support API shape); see docs/sources.md."""

from ingestion.common.schema import TableSpec, cols

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("tickets", ("id",), cols(
            "id:bigint! requester_id:bigint submitter_id:bigint assignee_id:bigint "
            "organization_id:bigint group_id:bigint subject description external_id type "
            "priority status tags:text[] via__channel created_at:timestamp! "
            "updated_at:timestamp!"), cursor="updated_at",
            identifiers={"id": "support_ticket_id", "requester_id": "support_user_id"}),
        TableSpec("users", ("id",), cols(
            "id:bigint! name email phone time_zone role external_id "
            "created_at:timestamp updated_at:timestamp!"), cursor="updated_at",
            identifiers={"id": "support_user_id", "email": "email",
                         "external_id": "crm_contact_id"}),
        TableSpec("ticket_events", ("id",), cols(
            "id:bigint! ticket_id:bigint! updater_id:bigint via__channel event_type "
            "created_at:timestamp!"), cursor="created_at",
            identifiers={"ticket_id": "support_ticket_id"}),
        TableSpec("ticket_event_children", ("id",), cols(
            "id:bigint! audit_id:bigint! ticket_id:bigint! author_id:bigint event_type! "
            "public:bool body field_name value previous_value created_at:timestamp!"),
            identifiers={"ticket_id": "support_ticket_id"}),
        TableSpec("satisfaction_ratings", ("id",), cols(
            "id:bigint! ticket_id:bigint! requester_id:bigint assignee_id:bigint score "
            "comment reason created_at:timestamp updated_at:timestamp!"), cursor="updated_at",
            identifiers={"ticket_id": "support_ticket_id", "requester_id": "support_user_id"}),
    )
}
