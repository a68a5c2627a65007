{#-
  The identity mapping table: every identifier -> its customer_id. customer_id is the md5 of
  the component's anchor identifier ('<type>:<value>'), the earliest-seen identifier of the
  component (ties by type rank, then value). When components merge, the older anchor wins.
-#}
with

nodes as (

    select * from {{ ref('int_identity__nodes') }}

),

components as (

    select * from {{ ref('int_identity__components') }}

),

identifiers as (

    select
        nodes.identifier_type,
        nodes.identifier_value,
        {{ customer_id_from_anchor('anchors.identifier_type', 'anchors.identifier_value') }} as customer_id,
        anchors.identifier_type as anchor_identifier_type,
        anchors.identifier_value as anchor_identifier_value,
        nodes.node_id = anchors.node_id as is_anchor,
        nodes.first_seen_at,
        nodes.last_seen_at,
        nodes.source_systems,
        nodes.record_count,
        nodes.node_id
    from nodes
    inner join components on components.node_id = nodes.node_id
    inner join nodes as anchors on anchors.node_id = components.component_node_id

)

select * from identifiers
