{#-
  The two dimensions of cx_kpis_daily for every customer: the customer segment (b2b = the CRM
  contact belongs to a company, b2c = identified without a company, anonymous = never
  identified) and the acquisition channel (customer_360). Swap the segment for the RFM persona
  once the lifecycle marts exist (docs/decisions.md).
-#}
with

customers as (

    select * from {{ ref('customer_360') }}

),

final as (

    select
        customer_id,
        case
            when company_id is not null then 'b2b'
            when is_identified then 'b2c'
            else 'anonymous'
        end as customer_segment,
        coalesce(acquisition_channel, 'Unassigned') as acquisition_channel
    from customers

)

select * from final
