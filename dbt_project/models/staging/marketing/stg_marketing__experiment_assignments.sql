with

source as (

    select * from {{ source('marketing', 'experiment_assignments') }}

),

renamed as (

    select
        ----------  ids
        {{ surrogate_key(['trim(experiment_id)', 'trim(anonymous_id)']) }} as experiment_assignment_id,
        trim(experiment_id) as experiment_id,
        {{ clean_identifier('anonymous_id') }} as anonymous_id,
        {{ clean_identifier('user_id') }} as app_user_id,

        ---------- properties
        {{ clean_text('experiment_name') }} as experiment_name,
        {{ accepted_or_other('variant', ['control', 'treatment']) }} as variant,

        ---------- timestamps
        assigned_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'experiment_assignment_id', '_loaded_at desc') }}

)

select * from deduped
