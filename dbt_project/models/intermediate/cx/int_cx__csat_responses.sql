{#- One row per CSAT response of either source, survey answer or ticket rating (macros/cx/csat_responses.sql). -#}
{{ csat_responses() }}
