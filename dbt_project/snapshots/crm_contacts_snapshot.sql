{#-
  SCD2 history of the CRM contact's own attributes: lifecycle stage field, owner, company.
  Check strategy on exactly those columns, so a rebuild on unchanged data (or a change to any
  other field, e.g. the email) adds no version; dbt_valid_from / dbt_valid_to are the times
  of the snapshot runs that saw the change. Schema `snapshots` (not published: it holds the
  contact id only, no PII, but it is history for analysts, not part of the public contract).
-#}
{% snapshot crm_contacts_snapshot %}

{{
    config(
        schema='snapshots',
        unique_key='contact_id',
        strategy='check',
        check_cols=['lifecycle_stage', 'owner_id', 'company_id'],
        invalidate_hard_deletes=false,
    )
}}

select contact_id, lifecycle_stage, owner_id, company_id, updated_at
from {{ ref('stg_crm__contacts') }}

{% endsnapshot %}
