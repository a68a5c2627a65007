{#-
  One row per distinct identifier (identifier_type, identifier_value): the nodes of the
  identity graph. node_id is dense and ordered by anchor priority — first seen, then type
  rank (identifier_types()), then value — so the smallest node_id of a component is its
  anchor, and min-label connected components yield the anchor directly.
-#}
with

observations as (

    {{ identity_observations(ref('int_identity__records')) }}

),

nodes as (

    select
        identifier_type,
        identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        {{ dbt.listagg('distinct source_system', "','", 'order by source_system') }} as source_systems,
        count(*) as record_count
    from observations
    group by identifier_type, identifier_value

)

select
    row_number() over (
        order by first_seen_at, {{ identifier_type_rank('identifier_type') }}, identifier_value
    ) as node_id,
    identifier_type,
    identifier_value,
    first_seen_at,
    last_seen_at,
    source_systems,
    record_count
from nodes
