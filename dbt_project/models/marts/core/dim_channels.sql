{#-
  One row per channel group of the GA4-style default channel grouping (macro channel_group);
  the rows come from the macro channel_groups(), so the dimension and the grouping never drift.
-#}
with

channel_groups as (

    {% for name, category, is_paid, description in channel_groups() -%}
    select
        '{{ name }}' as channel_group,
        '{{ description | replace("'", "''") }}' as description,
        {{ 'true' if is_paid else 'false' }} as is_paid,
        '{{ category }}' as channel_category,
        {{ loop.index }} as rule_order
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

final as (

    select
        channel_group,
        description,
        is_paid,
        channel_category,
        rule_order
    from channel_groups

)

select * from final
