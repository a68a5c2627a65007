{#- One row per CRM company (account), with how many contacts belong to it. -#}
with

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

company_contacts as (

    select
        company_id,
        count(*) as contact_count
    from contacts
    where company_id is not null and not is_archived
    group by company_id

),

final as (

    select
        companies.company_id,
        companies.company_name,
        companies.domain,
        companies.industry,
        companies.country,
        companies.employee_count,
        companies.annual_revenue,
        coalesce(company_contacts.contact_count, 0) as contact_count,
        companies.is_archived,
        companies.created_at,
        companies.updated_at
    from companies
    left join company_contacts on company_contacts.company_id = companies.company_id

)

select * from final
