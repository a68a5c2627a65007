with

source as (

    select * from {{ source('crm', 'deals') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as deal_id,
        {{ clean_identifier('contact_id') }} as contact_id,
        {{ clean_identifier('company_id') }} as company_id,
        {{ clean_identifier('hubspot_owner_id') }} as owner_id,

        ---------- properties
        {{ clean_text('dealname') }} as deal_name,
        {{ clean_text('pipeline') }} as pipeline,
        {{ accepted_or_other('dealstage', [
            'appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled',
            'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost']) }} as deal_stage,
        amount as deal_amount,
        coalesce(archived, false) as is_archived,

        ---------- timestamps
        closedate as closed_at,
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'deal_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
