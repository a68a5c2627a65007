{#-
  Materialization `connected_components`: labels every node of a graph with the smallest
  node id of its connected component, iteratively, in bounded cost.

  Config:
    nodes_model: model with one row per node, integer column `node_id`
    edges_model: model with one row per undirected edge, integer columns `node_id_a`, `node_id_b`
  Output table: node_id, component_node_id (= min node_id of the component).

  The model's own SQL is the executable *specification* of the result (a plain recursive
  min-label propagation, correct on any input but with one iteration per hop of the longest
  path). It is what dbt unit tests and `dbt show` run. This materialization computes the same
  result with `cxm_connected_components()` (min-label hooking + pointer jumping + edge
  contraction, O(log n) rounds). The `identity_components_are_fixpoint` data test checks the
  materialized result on every build.
  It never runs at compile/parse time (dbt compile, dbt docs generate stay cheap).
-#}
{% materialization connected_components, default %}

  {%- set nodes_relation = ref(config.require('nodes_model')) -%}
  {%- set edges_relation = ref(config.require('edges_model')) -%}
  {%- set max_rounds = config.get('max_rounds', var('identity_max_rounds', 64)) | int -%}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'table' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}

  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- set result_sql = cxm_connected_components(nodes_relation, edges_relation, max_rounds) -%}

  {% call statement('main') -%}
    {{ create_table_as(False, intermediate_relation, result_sql) }}
  {%- endcall %}

  {% if existing_relation is not none %}
    {{ adapter.rename_relation(existing_relation, backup_relation) }}
  {% endif %}
  {{ adapter.rename_relation(intermediate_relation, target_relation) }}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}

  {{ drop_relation_if_exists(backup_relation) }}
  {% do cxm_connected_components_cleanup() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
