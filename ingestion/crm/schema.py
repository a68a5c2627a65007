"""Raw tables of the CRM source (HubSpot CRM v3 shape); see docs/sources.md."""

from ingestion.common.schema import TableSpec, cols

_BASE = "id! created_at:timestamp updated_at:timestamp! archived:bool"

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("contacts", ("id",), cols(
            f"{_BASE} email firstname lastname phone associatedcompanyid lifecyclestage "
            "hubspot_owner_id hs_analytics_source app_user_id hs_email_optout:bool"),
            cursor="updated_at", identifiers={"id": "crm_contact_id", "email": "email",
                                              "app_user_id": "app_user_id"}),
        TableSpec("companies", ("id",), cols(
            f"{_BASE} name domain industry country numberofemployees:bigint "
            "annualrevenue:double"), cursor="updated_at"),
        TableSpec("deals", ("id",), cols(
            f"{_BASE} dealname amount:double dealstage pipeline closedate:timestamp "
            "hubspot_owner_id contact_id company_id"), cursor="updated_at",
            identifiers={"id": "crm_deal_id", "contact_id": "crm_contact_id"}),
        TableSpec("deal_stage_history", ("deal_id", "changed_at"), cols(
            "deal_id! dealstage changed_at:timestamp! source_type"),
            identifiers={"deal_id": "crm_deal_id"}),
        TableSpec("orders", ("id",), cols(
            f"{_BASE} hs_order_name hs_currency_code hs_subtotal_price:double "
            "hs_order_discount:double hs_total_price:double hs_pipeline_stage "
            "hs_external_created_date:timestamp! contact_id coupon_code"), cursor="updated_at",
            identifiers={"id": "crm_order_id", "contact_id": "crm_contact_id"}),
        TableSpec("line_items", ("id",), cols(
            f"{_BASE} order_id! hs_product_id name quantity:bigint price:double amount:double"),
            cursor="updated_at", identifiers={"order_id": "crm_order_id"}),
        TableSpec("products", ("id",), cols(
            f"{_BASE} name hs_sku category price:double"), cursor="updated_at"),
    )
}

# HubSpot object type in the API path, per raw table (deal_stage_history rides on deals).
OBJECTS = {"contacts": "contacts", "companies": "companies", "deals": "deals",
           "orders": "orders", "line_items": "line_items", "products": "products"}
