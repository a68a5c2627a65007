{#-
  experiment_stats(units): CTEs (ending in `final`) that turn one row per exposed unit —
  columns experiment_id, experiment_name, variant, is_control, is_converted, revenue — into one
  row per experiment and variant: exposures, conversions, rate, lift vs the control variant
  with a two-sided two-proportion z-test (pooled standard error) and a 95% Wald confidence
  interval of the absolute lift (unpooled standard error), revenue per exposed user, and a
  sample-ratio-mismatch chi-square test against an equal split over the variants.
  Definitions: docs/metrics.md (Experiments). Use: `with units as (...), {{ experiment_stats('units') }} select * from final`.
-#}
{% macro experiment_stats(units) -%}
variant_totals as (

    select
        experiment_id,
        max(experiment_name) as experiment_name,
        variant,
        {{ dbt.bool_or('is_control') }} as is_control,
        count(*) as exposed_users,
        cast(sum(case when is_converted then 1 else 0 end) as {{ dbt.type_bigint() }}) as conversions,
        sum(revenue) as revenue
    from {{ units }}
    group by experiment_id, variant

),

variant_rates as (

    select
        *,
        cast(conversions as double) / nullif(exposed_users, 0) as conversion_rate,
        cast(revenue as double) / nullif(exposed_users, 0)
            as revenue_per_exposed_user
    from variant_totals

),

experiment_totals as (

    select
        experiment_id,
        count(*) as variant_count,
        cast(sum(exposed_users) as double) / count(*) as expected_exposed_users
    from variant_totals
    group by experiment_id

),

sample_ratio as (

    select
        variant_rates.experiment_id,
        experiment_totals.variant_count - 1 as srm_degrees_of_freedom,
        sum(
            power(variant_rates.exposed_users - experiment_totals.expected_exposed_users, 2)
            / experiment_totals.expected_exposed_users
        ) as srm_chi_square
    from variant_rates
    inner join experiment_totals on experiment_totals.experiment_id = variant_rates.experiment_id
    group by variant_rates.experiment_id, experiment_totals.variant_count

),

controls as (

    select
        experiment_id,
        variant as control_variant,
        exposed_users as control_exposed_users,
        conversions as control_conversions,
        conversion_rate as control_conversion_rate,
        revenue_per_exposed_user as control_revenue_per_exposed_user
    from variant_rates
    where is_control

),

compared as (

    select
        variant_rates.*,
        controls.control_variant,
        controls.control_exposed_users,
        controls.control_conversions,
        controls.control_conversion_rate,
        controls.control_revenue_per_exposed_user,
        case when not variant_rates.is_control then
            variant_rates.conversion_rate - controls.control_conversion_rate
        end as absolute_lift,
        case when not variant_rates.is_control then
            variant_rates.conversion_rate / nullif(controls.control_conversion_rate, 0) - 1
        end as relative_lift,
        case when not variant_rates.is_control then
            cast(variant_rates.conversions + controls.control_conversions as double)
            / nullif(variant_rates.exposed_users + controls.control_exposed_users, 0)
        end as pooled_rate,
        case when not variant_rates.is_control then sqrt(
            variant_rates.conversion_rate * (1 - variant_rates.conversion_rate)
                / variant_rates.exposed_users
            + controls.control_conversion_rate * (1 - controls.control_conversion_rate)
                / controls.control_exposed_users
        ) end as lift_standard_error
    from variant_rates
    left join controls on controls.experiment_id = variant_rates.experiment_id

),

tested as (

    select
        *,
        (conversion_rate - control_conversion_rate) / nullif(sqrt(
            pooled_rate * (1 - pooled_rate)
            * (1.0 / exposed_users + 1.0 / control_exposed_users)
        ), 0) as z_score
    from compared

),

final as (

    select
        tested.experiment_id,
        tested.experiment_name,
        tested.variant,
        tested.is_control,
        tested.control_variant,
        tested.exposed_users,
        tested.conversions,
        tested.conversion_rate,
        tested.control_exposed_users,
        tested.control_conversions,
        tested.control_conversion_rate,
        tested.absolute_lift,
        tested.relative_lift,
        tested.z_score,
        {{ two_sided_p('tested.z_score') }} as p_value,
        tested.absolute_lift - 1.959963984540054 * tested.lift_standard_error
            as absolute_lift_ci_low,
        tested.absolute_lift + 1.959963984540054 * tested.lift_standard_error
            as absolute_lift_ci_high,
        {{ two_sided_p('tested.z_score') }} < {{ var('experiment_alpha') }} as is_significant,
        tested.revenue,
        tested.revenue_per_exposed_user,
        tested.revenue_per_exposed_user - tested.control_revenue_per_exposed_user
            as revenue_per_exposed_user_lift,
        sample_ratio.srm_chi_square,
        sample_ratio.srm_degrees_of_freedom,
        {{ chi_square_p('sample_ratio.srm_chi_square', 'sample_ratio.srm_degrees_of_freedom') }}
            as srm_p_value,
        {{ chi_square_p('sample_ratio.srm_chi_square', 'sample_ratio.srm_degrees_of_freedom') }}
            < {{ var('experiment_srm_alpha') }} as has_sample_ratio_mismatch
    from tested
    inner join sample_ratio on sample_ratio.experiment_id = tested.experiment_id

)
{%- endmacro %}
