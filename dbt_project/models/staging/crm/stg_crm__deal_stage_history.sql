with

source as (

    select * from {{ source('crm', 'deal_stage_history') }}

),

renamed as (

    select
        ----------  ids
        {{ surrogate_key(['trim(deal_id)', 'changed_at']) }} as deal_stage_change_id,
        trim(deal_id) as deal_id,

        ---------- properties
        {{ accepted_or_other('dealstage', [
            'appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled',
            'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost']) }} as deal_stage,
        {{ clean_text('source_type') }} as source_type,

        ---------- timestamps
        changed_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'deal_id, changed_at', '_loaded_at desc') }}

)

select * from deduped
