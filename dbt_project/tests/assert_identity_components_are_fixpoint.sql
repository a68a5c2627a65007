{#-
  Checks the materialized connected components (int_identity__components), which the
  unit tests cannot reach (they run the model's specification SQL):
  - no edge joins two different components (the iteration converged), and
  - every label is its component's smallest node, labelled by itself.
  Over-merging cannot happen by construction (labels only move along edges).
  Returns the offending nodes; none means pass.
-#}
with

components as (

    select node_id, component_node_id from {{ ref('int_identity__components') }}

),

edges as (

    select node_id_a, node_id_b from {{ ref('int_identity__edges') }}

),

split_edges as (

    select
        'edge joins two components' as problem,
        edges.node_id_a as node_id,
        a.component_node_id
    from edges
    inner join components as a on a.node_id = edges.node_id_a
    inner join components as b on b.node_id = edges.node_id_b
    where a.component_node_id <> b.component_node_id

),

bad_labels as (

    select
        'label is not the smallest node of its component' as problem,
        components.node_id,
        components.component_node_id
    from components
    left join components as labels on labels.node_id = components.component_node_id
    where components.component_node_id > components.node_id
        or labels.component_node_id is null
        or labels.component_node_id <> components.component_node_id

)

select * from split_edges
union all
select * from bad_labels
