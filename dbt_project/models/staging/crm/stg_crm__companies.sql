with

source as (

    select * from {{ source('crm', 'companies') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as company_id,

        ---------- properties
        {{ clean_text('name') }} as company_name,
        {{ cxm_clean_domain('domain') }} as domain,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('country') }} as country,
        numberofemployees as employee_count,
        annualrevenue as annual_revenue,
        coalesce(archived, false) as is_archived,

        ---------- timestamps
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'company_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
