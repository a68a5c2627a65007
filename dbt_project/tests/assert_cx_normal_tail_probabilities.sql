{#-
  The normal and chi-square tail macros (macros/cx/normal_distribution.sql) against textbook
  values: two-sided p of z quantiles (1.959964 -> 0.05, 2.575829 -> 0.01), erfc values
  (p(1) = 0.3173105, p(2) = 0.0455003, p(3) = 0.0026998, p(5) = 5.733031e-7), Φ(1) =
  0.8413447, Φ(−1.644854) = 0.05, and chi-square critical values at 5% for 1, 2 and 3 degrees
  of freedom (3.841459, 5.991465, 7.814728), and p = 1 at chi-square 0. Exact formulas must
  agree to 2e-7 relative; the Wilson–Hilferty approximation (df > 2) to 0.002 absolute.
  Returns the rows that do not.
-#}
with

known as (

    select 'two_sided_p' as fn, 0.0 as x, 0 as df, 1.0 as expected, 2e-7 as rel_tol, 0.0 as abs_tol
    union all select 'two_sided_p', 1.0, 0, 0.3173105078629141, 2e-7, 0.0
    union all select 'two_sided_p', 1.959963984540054, 0, 0.05, 2e-7, 0.0
    union all select 'two_sided_p', -2.5758293035489004, 0, 0.01, 2e-7, 0.0
    union all select 'two_sided_p', 2.0, 0, 0.04550026389635842, 2e-7, 0.0
    union all select 'two_sided_p', 3.0, 0, 0.0026997960632601866, 2e-7, 0.0
    union all select 'two_sided_p', 5.0, 0, 5.733031437583878e-07, 2e-7, 0.0
    union all select 'normal_cdf', 0.0, 0, 0.5, 2e-7, 0.0
    union all select 'normal_cdf', 1.0, 0, 0.8413447460685429, 2e-7, 0.0
    union all select 'normal_cdf', -1.6448536269514722, 0, 0.05, 2e-7, 0.0
    union all select 'chi_square_p', 3.841458820694124, 1, 0.05, 2e-7, 0.0
    union all select 'chi_square_p', 5.991464547107979, 2, 0.05, 2e-7, 0.0
    union all select 'chi_square_p', 0.0, 2, 1.0, 2e-7, 0.0
    union all select 'chi_square_p', 0.0, 1, 1.0, 2e-7, 0.0
    union all select 'chi_square_p', 7.814727903251178, 3, 0.05, 0.0, 0.002

),

computed as (

    select
        *,
        case fn
            when 'two_sided_p' then {{ two_sided_p('x') }}
            when 'normal_cdf' then {{ normal_cdf('x') }}
            when 'chi_square_p' then {{ chi_square_p('x', 'df') }}
        end as actual
    from known

)

select *
from computed
where actual is null
    or abs(actual - expected) > rel_tol * expected + abs_tol
