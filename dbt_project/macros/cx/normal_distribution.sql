{#-
  Standard normal tail probabilities in SQL (DuckDB has no erf/normal CDF).

  erfc(x): the complementary error function, Chebyshev fit of Numerical Recipes (2nd ed.,
  §6.2, `erfcc`) with fractional error below 1.2e-7 everywhere, so small p-values keep their
  relative accuracy (Abramowitz–Stegun 7.1.26 has absolute error 1.5e-7 only).
  normal_cdf(x) = Φ(x) = erfc(−x/√2) / 2.
  two_sided_p(z) = P(|Z| ≥ |z|) = erfc(|z|/√2).
  chi_square_p(chi2, df): upper tail of the chi-square distribution; exact for df = 1
  (erfc(√(chi2/2))) and df = 2 (exp(−chi2/2)), Wilson–Hilferty cube-root approximation for
  df > 2.
  Probabilities are capped at 1 (the fit gives erfc(0) a hair above 1); null stays null
  (DuckDB's least() would turn least(1, null) into 1).
-#}
{% macro erfc(x) -%}
    {%- set a = "abs(" ~ x ~ ")" -%}
    {%- set t = "(1.0 / (1.0 + 0.5 * " ~ a ~ "))" -%}
    (case when {{ x }} is null then null else
        (case when {{ x }} >= 0 then 1.0 else -1.0 end)
        * ({{ t }} * exp(
            -{{ a }} * {{ a }} - 1.26551223 + {{ t }} * (1.00002368 + {{ t }} * (0.37409196
            + {{ t }} * (0.09678418 + {{ t }} * (-0.18628806 + {{ t }} * (0.27886807
            + {{ t }} * (-1.13520398 + {{ t }} * (1.48851587 + {{ t }} * (-0.82215223
            + {{ t }} * 0.17087277))))))))
        ) - 1.0) + 1.0
    end)
{%- endmacro %}


{% macro normal_cdf(x) -%}
    (case when {{ x }} is not null then least(1.0, 0.5 * {{ erfc("(-(" ~ x ~ ") / sqrt(2.0))") }}) end)
{%- endmacro %}


{% macro two_sided_p(z) -%}
    (case when {{ z }} is not null then least(1.0, {{ erfc("(abs(" ~ z ~ ") / sqrt(2.0))") }}) end)
{%- endmacro %}


{% macro chi_square_p(chi2, df) -%}
    (case
        when {{ chi2 }} is null or {{ df }} is null or {{ df }} < 1 then null
        when {{ df }} = 1 then least(1.0, {{ erfc("sqrt((" ~ chi2 ~ ") / 2.0)") }})
        when {{ df }} = 2 then exp(-({{ chi2 }}) / 2.0)
        else 1.0 - {{ normal_cdf(
            "((power((" ~ chi2 ~ ") / (" ~ df ~ "), 1.0 / 3.0) - (1.0 - 2.0 / (9.0 * (" ~ df ~ "))))"
            ~ " / sqrt(2.0 / (9.0 * (" ~ df ~ "))))") }}
    end)
{%- endmacro %}
