{{
    config(
        materialized='connected_components',
        nodes_model='int_identity__nodes',
        edges_model='int_identity__edges',
    )
}}
{#-
  node_id -> component_node_id, the smallest node_id (= the anchor) of its connected
  component.

  The SQL below is the executable specification: plain min-label propagation with a
  recursive CTE (DuckDB `USING KEY`, one iteration per hop of the longest shortest path).
  dbt unit tests and `dbt show` run it. `dbt run`/`build` do not: the
  `connected_components` materialization (macros/materializations/) computes the same
  labels with min-label hooking, pointer jumping and edge contraction in O(log n) rounds.
-#}
with recursive

nodes as (

    select node_id from {{ ref('int_identity__nodes') }}

),

edges as (

    select node_id_a as from_node_id, node_id_b as to_node_id from {{ ref('int_identity__edges') }}
    union all
    select node_id_b as from_node_id, node_id_a as to_node_id from {{ ref('int_identity__edges') }}

),

labels (node_id, component_node_id) using key (node_id) as (

    select node_id, node_id from nodes

    union

    -- labels that dropped in the previous iteration flow to the neighbours they improve
    select edges.to_node_id, min(changed.component_node_id)
    from labels as changed
    inner join edges on edges.from_node_id = changed.node_id
    inner join recurring.labels as current_label on current_label.node_id = edges.to_node_id
    group by edges.to_node_id
    having min(changed.component_node_id) < min(current_label.component_node_id)

)

select node_id, component_node_id from labels
