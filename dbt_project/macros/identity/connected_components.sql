{#-
  cxm_connected_components(nodes, edges, max_rounds): runs the iterative connected-components
  algorithm in scratch temp tables and returns the SQL of the result
  (node_id, component_node_id = smallest node_id in the node's component).

  Algorithm (min-label hooking with pointer jumping and edge contraction):
    E  := edges as (lo, hi) with lo < hi
    repeat (one "round"):
      H := every label with a smaller neighbour hooks to its smallest neighbour:
           H(hi) = min(lo) over E, grouped by hi            -- parents always smaller: a forest
      if H is empty: done                                    -- every label is its own component
      pointer-jump H until every label points at a root:  H(x) := H(H(x))   (log depth passes)
      F += H (with the round number)
      E  := distinct (H(lo), H(hi)) without self loops        -- contract: labels, not nodes
    resolve F from the last round back to the first: root(x) = root(F(x)).
  Each round hooks every non-minimal label, so the labels still in play at least halve every
  two rounds: O(log n) rounds, and the edge table shrinks as components collapse, so the
  total work is close to a few passes over the edges. Stops with an error after `max_rounds`
  rounds (var identity_max_rounds).
-#}
{% macro cxm_connected_components(nodes, edges, max_rounds=64) %}

  {%- set t_edges = '__cxm_cc_edges' -%}
  {%- set t_hooks = '__cxm_cc_hooks' -%}
  {%- set t_hooks_next = '__cxm_cc_hooks_next' -%}
  {%- set t_forest = '__cxm_cc_forest' -%}
  {%- set t_roots = '__cxm_cc_roots' -%}
  {%- set t_edges_next = '__cxm_cc_edges_next' -%}

  {%- call statement('cc_init') -%}
    -- no `distinct`: a duplicate edge costs a little, never correctness
    -- (int_identity__edges is unique anyway, and tested)
    create or replace temporary table {{ t_edges }} as
    select
        least(node_id_a, node_id_b) as lo,
        greatest(node_id_a, node_id_b) as hi
    from {{ edges }}
    where node_id_a <> node_id_b;

    create or replace temporary table {{ t_forest }} (node bigint, parent bigint, round integer);
  {%- endcall -%}

  {%- set state = {'done': false, 'rounds': 0, 'jumps': 0} -%}
  {%- for r in range(1, max_rounds + 1) -%}
    {%- if not state.done -%}

      {%- call statement('cc_hook', fetch_result=True) -%}
        create or replace temporary table {{ t_hooks }} as
        select hi as node, min(lo) as parent from {{ t_edges }} group by hi;
        select count(*) from {{ t_hooks }}
      {%- endcall -%}
      {%- set n_hooks = load_result('cc_hook')['data'][0][0] -%}

      {%- if n_hooks == 0 -%}
        {%- do state.update({'done': true, 'rounds': r - 1}) -%}
      {%- else -%}

        {#- pointer jumping: until no parent has a parent of its own -#}
        {%- set jump = {'done': false} -%}
        {%- for j in range(64) -%}
          {%- if not jump.done -%}
            {%- call statement('cc_jump', fetch_result=True) -%}
              create or replace temporary table {{ t_hooks_next }} as
              select h.node, coalesce(p.parent, h.parent) as parent, p.parent is not null as moved
              from {{ t_hooks }} as h
              left join {{ t_hooks }} as p on p.node = h.parent;
              drop table {{ t_hooks }};
              alter table {{ t_hooks_next }} rename to {{ t_hooks }};
              select count(*) from {{ t_hooks }} where moved
            {%- endcall -%}
            {%- do state.update({'jumps': state.jumps + 1}) -%}
            {%- if load_result('cc_jump')['data'][0][0] == 0 -%}
              {%- do jump.update({'done': true}) -%}
            {%- endif -%}
          {%- endif -%}
        {%- endfor -%}

        {%- call statement('cc_contract') -%}
          insert into {{ t_forest }} select node, parent, {{ r }} from {{ t_hooks }};

          create or replace temporary table {{ t_edges_next }} as
          select distinct least(a, b) as lo, greatest(a, b) as hi
          from (
              select coalesce(x.parent, e.lo) as a, coalesce(y.parent, e.hi) as b
              from {{ t_edges }} as e
              left join {{ t_hooks }} as x on x.node = e.lo
              left join {{ t_hooks }} as y on y.node = e.hi
          ) as relabelled
          where a <> b;
          drop table {{ t_edges }};
          alter table {{ t_edges_next }} rename to {{ t_edges }};
        {%- endcall -%}

      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}

  {%- if not state.done -%}
    {{ exceptions.raise_compiler_error(
        "connected components did not converge in " ~ max_rounds ~ " rounds; raise var identity_max_rounds") }}
  {%- endif -%}

  {#- resolve the forest from the last round back: a root of round k may hook in round k+1.. -#}
  {%- call statement('cc_resolve') -%}
    create or replace temporary table {{ t_roots }} (node bigint, root bigint);
    {% for k in range(state.rounds, 0, -1) %}
    insert into {{ t_roots }}
    select f.node, coalesce(m.root, f.parent)
    from {{ t_forest }} as f
    left join {{ t_roots }} as m on m.node = f.parent
    where f.round = {{ k }};
    {% endfor %}
  {%- endcall -%}

  {{ log("connected components: " ~ state.rounds ~ " rounds, " ~ state.jumps ~ " pointer-jump passes", info=True) }}

  {%- set result_sql -%}
    select
        n.node_id,
        coalesce(m.root, n.node_id) as component_node_id
    from {{ nodes }} as n
    left join {{ t_roots }} as m on m.node = n.node_id
  {%- endset -%}
  {{ return(result_sql) }}

{% endmacro %}


{% macro cxm_connected_components_cleanup() %}
  {%- call statement('cc_cleanup') -%}
    drop table if exists __cxm_cc_edges;
    drop table if exists __cxm_cc_edges_next;
    drop table if exists __cxm_cc_hooks;
    drop table if exists __cxm_cc_hooks_next;
    drop table if exists __cxm_cc_forest;
    drop table if exists __cxm_cc_roots;
  {%- endcall -%}
{% endmacro %}
