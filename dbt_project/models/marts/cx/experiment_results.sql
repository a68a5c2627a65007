{#- One row per experiment and variant: exposures, conversions, lift vs control, z-test, 95% CI, SRM check (macros/cx/experiment_stats.sql). -#}
with

units as (

    select * from {{ ref('int_cx__experiment_units') }}

),

{{ experiment_stats('units') }}

select * from final
