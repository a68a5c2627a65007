{#-
  The cell keys of cx_kpis_daily: day × channel × segment plus the total rows (channel 'all',
  segment 'all', both), as grouping sets over a CTE whose channel and segment are never null.
  kpi_cell_columns() goes first in the select list, kpi_cell_grouping() after `group by`.
-#}
{% macro kpi_cell_columns() -%}
        kpi_date,
        coalesce(channel, 'all') as channel,
        coalesce(segment, 'all') as segment
{%- endmacro %}

{% macro kpi_cell_grouping() -%}
    grouping sets ((kpi_date, channel, segment), (kpi_date, channel), (kpi_date, segment), (kpi_date))
{%- endmacro %}
