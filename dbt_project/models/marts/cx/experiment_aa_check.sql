{#-
  A/A check of the experiment analysis: the control units of every experiment are split in two
  pseudo-variants by a seeded hash of the unit id (var('experiment_aa_seed')), and analysed
  exactly like experiment_results. Both halves got the same treatment, so a p-value below
  var('experiment_alpha') is a false positive (expected for about 5% of seeds); many of them
  across seeds point to a broken analysis or unit assignment.
-#}
with

control_units as (

    select * from {{ ref('int_cx__experiment_units') }}
    where is_control

),

units as (

    select
        experiment_id,
        experiment_name,
        case when split_digit < '8' then 'control_a' else 'control_b' end as variant,
        split_digit < '8' as is_control,
        is_converted,
        revenue
    from (
        select
            *,
            substr({{ dbt.hash("'" ~ var('experiment_aa_seed') ~ ":' || unit_id") }}, 1, 1) as split_digit
        from control_units
    ) as hashed

),

{{ experiment_stats('units') }}

select
    final.*,
    {{ var('experiment_aa_seed') }} as aa_seed
from final
