-- Per customer with orders: a recent window (the last `behavior_recent_days` before the as-of
-- time) against a baseline (the `behavior_baseline_days` before it, from the first order when
-- that is later), with one statistical test per kind of change (docs/metrics.md "Behaviour
-- changes"; flags in macros/lifecycle.sql):
-- - frequency: exact conditional test of two Poisson rates — given the n orders of both
--   windows, the recent count is Binomial(n, recent days / all days) when the rate is
--   unchanged (one-sided mid-p); the customer's first order opens the observation and is
--   not counted;
-- - spend: z-test on the mean log order value, recent vs baseline, with the within-customer
--   spread of log order values pooled over all customers (one-sided);
-- - category: Fisher's exact test (two-sided mid-p) on line items in the customer's main
--   category (most lines over both windows) vs the rest, recent vs baseline.
-- Customers without an order in both windows are `insufficient_history`.

with as_of as (

    select
        as_of_at,
        {{ dbt.dateadd('day', -1 * var('behavior_recent_days'), 'as_of_at') }} as recent_from,
        {{ dbt.dateadd('day', -1 * (var('behavior_recent_days') + var('behavior_baseline_days')), 'as_of_at') }}
            as baseline_from
    from ({{ lifecycle_as_of() }}) as latest

),

customer_orders as (

    select
        orders.customer_id,
        orders.order_id,
        orders.ordered_at,
        orders.order_total,
        row_number() over (
            partition by orders.customer_id order by orders.ordered_at, orders.order_id
        ) = 1 as is_first_order,
        case
            when orders.ordered_at > as_of.recent_from then 'recent'
            when orders.ordered_at > as_of.baseline_from then 'baseline'
        end as time_window
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.customer_id is not null and orders.ordered_at <= as_of.as_of_at

),

windows as (

    select
        customer_orders.customer_id,
        count(*) filter (where customer_orders.time_window = 'baseline') as baseline_orders,
        count(*) filter (where customer_orders.time_window = 'baseline' and not customer_orders.is_first_order)
            as baseline_repeat_orders,
        count(*) filter (where customer_orders.time_window = 'recent') as recent_orders,
        coalesce(sum(customer_orders.order_total) filter (where customer_orders.time_window = 'baseline'), 0)
            as baseline_revenue,
        coalesce(sum(customer_orders.order_total) filter (where customer_orders.time_window = 'recent'), 0)
            as recent_revenue,
        -- the baseline starts at the first order when the customer is younger than it
        greatest(
            {{ dbt.datediff('greatest(as_of.baseline_from, min(customer_orders.ordered_at))', 'as_of.recent_from', 'second') }}
            / 86400.0,
            1.0
        ) as baseline_days
    from customer_orders
    cross join as_of
    group by customer_orders.customer_id, as_of.baseline_from, as_of.recent_from

),

judged as (

    select
        customer_id,
        baseline_repeat_orders,
        recent_orders,
        baseline_repeat_orders + recent_orders as repeat_orders,
        {{ var('behavior_recent_days') }} / ({{ var('behavior_recent_days') }} + baseline_days)
            as recent_share_of_days
    from windows
    where baseline_orders > 0 and recent_orders > 0

),

order_values as (

    select customer_id, time_window, ln(order_total) as log_order_value
    from customer_orders
    where time_window is not null and order_total > 0

),

order_value_windows as (

    select
        customer_id,
        time_window,
        count(*) as orders_with_value,
        avg(log_order_value) as mean_log_order_value,
        coalesce(var_samp(log_order_value), 0) * (count(*) - 1) as sum_of_squares
    from order_values
    group by customer_id, time_window

),

order_value_spread as (

    -- pooled within-customer (and window) standard deviation of log order values
    select sqrt(sum(sum_of_squares) / nullif(sum(orders_with_value - 1), 0)) as log_order_value_sd
    from order_value_windows

),

spend_test as (

    select
        recent.customer_id,
        exp(recent.mean_log_order_value - baseline.mean_log_order_value) as typical_order_value_ratio,
        (recent.mean_log_order_value - baseline.mean_log_order_value)
            / nullif(spread.log_order_value_sd
                * sqrt(1.0 / recent.orders_with_value + 1.0 / baseline.orders_with_value), 0)
            as spend_z
    from order_value_windows as recent
    inner join order_value_windows as baseline
        on recent.customer_id = baseline.customer_id and baseline.time_window = 'baseline'
    cross join order_value_spread as spread
    where recent.time_window = 'recent'

),

line_categories as (

    select
        customer_orders.customer_id,
        customer_orders.time_window,
        coalesce(products.category, '(unknown)') as category,
        count(*) as lines,
        sum(items.line_amount) as amount
    from {{ ref('fct_order_items') }} as items
    inner join customer_orders on items.order_id = customer_orders.order_id
    left join {{ ref('dim_products') }} as products on items.product_id = products.product_id
    where customer_orders.time_window is not null
    group by 1, 2, 3

),

category_shares as (

    select
        customer_id,
        category,
        coalesce(sum(amount) filter (where time_window = 'recent'), 0)
            / nullif(sum(sum(amount) filter (where time_window = 'recent')) over (partition by customer_id), 0)
            as recent_share,
        coalesce(sum(amount) filter (where time_window = 'baseline'), 0)
            / nullif(sum(sum(amount) filter (where time_window = 'baseline')) over (partition by customer_id), 0)
            as baseline_share,
        -- the customer's main category: most lines over both windows (ties: by name)
        row_number() over (partition by customer_id order by sum(lines) desc, category) = 1
            as is_main_category
    from line_categories
    group by customer_id, category

),

category_shift as (

    -- total variation distance between the two category mixes: 0 same mix, 1 disjoint
    select customer_id, least(0.5 * sum(abs(recent_share - baseline_share)), 1.0) as category_shift
    from category_shares
    group by customer_id

),

category_table as (

    -- 2 x 2: lines in / outside the main category, baseline / recent
    select
        line_categories.customer_id,
        max(category_shares.category) filter (where category_shares.is_main_category) as main_category,
        sum(line_categories.lines) filter (where category_shares.is_main_category and line_categories.time_window = 'recent')
            as recent_main_lines,
        sum(line_categories.lines) filter (where line_categories.time_window = 'recent') as recent_lines,
        sum(line_categories.lines) filter (where category_shares.is_main_category) as main_lines,
        sum(line_categories.lines) as all_lines
    from line_categories
    inner join category_shares
        on line_categories.customer_id = category_shares.customer_id
        and line_categories.category = category_shares.category
    group by line_categories.customer_id

),

counts as (

    -- 0, 1, ... up to the most repeat orders or line items of a customer: the support of the
    -- exact tests' distributions
    select k
    from generate_series(0, cast((
        select greatest(
            coalesce((select max(repeat_orders) from judged), 0),
            coalesce((select max(all_lines) from category_table), 0)
        )
    ) as bigint)) as numbers(k)

),

frequency_test as (

    -- mid-p of the upper tail: P(X > recent orders) + P(X = recent orders) / 2, X ~
    -- Binomial(repeat orders, recent share of days)
    select
        judged.customer_id,
        least(1.0, sum(
            (case when counts.k = judged.recent_orders then 0.5 else 1.0 end)
            * exp({{ log_binomial_pmf('counts.k', 'judged.repeat_orders', 'judged.recent_share_of_days') }})
        )) as frequency_p_value
    from judged
    inner join counts on counts.k between judged.recent_orders and judged.repeat_orders
    group by judged.customer_id

),

category_support as (

    -- every possible count of recent main-category lines given the margins, with its
    -- hypergeometric log probability
    select
        category_table.customer_id,
        counts.k,
        {{ log_hypergeometric_pmf('counts.k', 'category_table.all_lines', 'category_table.main_lines', 'category_table.recent_lines') }}
            as log_p,
        counts.k = coalesce(category_table.recent_main_lines, 0) as is_observed
    from category_table
    inner join judged on category_table.customer_id = judged.customer_id
    inner join counts
        on counts.k between greatest(0, category_table.recent_lines - (category_table.all_lines - category_table.main_lines))
        and least(category_table.main_lines, category_table.recent_lines)
    where category_table.recent_lines > 0 and category_table.recent_lines < category_table.all_lines

),

category_test as (

    -- two-sided mid-p: the probability of every table less likely than the observed one,
    -- plus half that of the tables as likely as it (the observed one among them)
    select
        category_support.customer_id,
        least(1.0, sum(
            case
                when category_support.log_p < observed.log_p - 1e-7 then 1.0
                when category_support.log_p <= observed.log_p + 1e-7 then 0.5
                else 0.0
            end * exp(category_support.log_p)
        )) as category_p_value
    from category_support
    inner join category_support as observed
        on category_support.customer_id = observed.customer_id and observed.is_observed
    group by category_support.customer_id

),

measured as (

    select
        windows.customer_id,
        windows.baseline_orders,
        windows.baseline_repeat_orders,
        windows.recent_orders,
        windows.baseline_revenue,
        windows.recent_revenue,
        windows.baseline_days,
        30.0 * windows.baseline_orders / windows.baseline_days as baseline_orders_per_30_days,
        30.0 * windows.recent_orders / {{ var('behavior_recent_days') }} as recent_orders_per_30_days,
        30.0 * windows.baseline_revenue / windows.baseline_days as baseline_spend_per_30_days,
        30.0 * windows.recent_revenue / {{ var('behavior_recent_days') }} as recent_spend_per_30_days,
        windows.baseline_revenue / nullif(windows.baseline_orders, 0) as baseline_average_order_value,
        windows.recent_revenue / nullif(windows.recent_orders, 0) as recent_average_order_value,
        windows.baseline_orders > 0 and windows.recent_orders > 0 as has_both_windows,
        -- repeat-order rate ratio of the frequency test (null without a baseline repeat order)
        windows.recent_orders * windows.baseline_days
            / nullif(windows.baseline_repeat_orders * {{ var('behavior_recent_days') }}, 0) as repeat_rate_ratio,
        frequency_test.frequency_p_value,
        spend_test.typical_order_value_ratio,
        {{ normal_cdf('spend_test.spend_z') }} as spend_p_value,
        category_shift.category_shift,
        category_table.main_category,
        category_test.category_p_value
    from windows
    left join frequency_test on windows.customer_id = frequency_test.customer_id
    left join spend_test on windows.customer_id = spend_test.customer_id
    left join category_shift on windows.customer_id = category_shift.customer_id
    left join category_table on windows.customer_id = category_table.customer_id
    left join category_test on windows.customer_id = category_test.customer_id

),

ratios as (

    select
        *,
        recent_spend_per_30_days / nullif(baseline_spend_per_30_days, 0) as spend_ratio,
        recent_orders_per_30_days / nullif(baseline_orders_per_30_days, 0) as frequency_ratio,
        recent_average_order_value / nullif(baseline_average_order_value, 0)
            as average_order_value_ratio
    from measured

),

final as (

    select
        ratios.customer_id,
        ratios.baseline_orders,
        ratios.baseline_repeat_orders,
        ratios.recent_orders,
        ratios.baseline_revenue,
        ratios.recent_revenue,
        ratios.baseline_days,
        ratios.baseline_orders_per_30_days,
        ratios.recent_orders_per_30_days,
        ratios.frequency_ratio,
        ratios.repeat_rate_ratio,
        ratios.frequency_p_value,
        ratios.baseline_spend_per_30_days,
        ratios.recent_spend_per_30_days,
        ratios.spend_ratio,
        ratios.baseline_average_order_value,
        ratios.recent_average_order_value,
        ratios.average_order_value_ratio,
        ratios.typical_order_value_ratio,
        ratios.spend_p_value,
        case when ratios.has_both_windows then ratios.category_shift end as category_shift,
        case when ratios.has_both_windows then ratios.main_category end as main_category,
        ratios.category_p_value,
        ratios.has_both_windows,
        {{ behavior_flag_more('ratios') }} as buys_more,
        {{ behavior_flag_less('ratios') }} as buys_less,
        {{ behavior_flag_differently('ratios') }} as buys_differently,
        case
            when not ratios.has_both_windows then 'insufficient_history'
            when {{ behavior_flag_more('ratios') }} then 'buys_more'
            when {{ behavior_flag_less('ratios') }} then 'buys_less'
            when {{ behavior_flag_differently('ratios') }} then 'buys_differently'
            else 'unchanged'
        end as behavior_change,
        as_of.as_of_at
    from ratios
    cross join as_of

)

select * from final
