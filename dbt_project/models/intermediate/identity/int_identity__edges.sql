{#-
  Undirected edges of the identity graph, one row per linked pair of nodes
  (node_id_a < node_id_b). The identifiers of one record are linked as a star around the
  record's smallest node (k identifiers -> k-1 edges, not k*(k-1)/2): the same components at
  a fraction of the edges.
-#}
with

observations as (

    {{ identity_observations(ref('int_identity__records')) }}

),

nodes as (

    select node_id, identifier_type, identifier_value from {{ ref('int_identity__nodes') }}

),

record_nodes as (

    select
        observations.source_system,
        observations.source_table,
        observations.record_key,
        nodes.node_id
    from observations
    inner join nodes
        on nodes.identifier_type = observations.identifier_type
        and nodes.identifier_value = observations.identifier_value

),

record_hubs as (

    select source_table, record_key, min(node_id) as hub_node_id
    from record_nodes
    group by source_table, record_key

),

edges as (

    select
        record_hubs.hub_node_id as node_id_a,
        record_nodes.node_id as node_id_b,
        record_nodes.source_system
    from record_nodes
    inner join record_hubs
        on record_hubs.source_table = record_nodes.source_table
        and record_hubs.record_key = record_nodes.record_key
    where record_nodes.node_id <> record_hubs.hub_node_id

)

select
    node_id_a,
    node_id_b,
    {{ dbt.listagg('distinct source_system', "','", 'order by source_system') }} as source_systems,
    count(*) as record_count
from edges
group by node_id_a, node_id_b
