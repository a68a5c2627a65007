-- date_spine() yields every day of the range once, both ends included (2024 is a leap year).
with spine as (

    {{ date_spine("cast('2024-02-01' as date)", "cast('2024-03-01' as date)") }}

)

select count(*) as days, count(distinct date_day) as distinct_days, min(date_day) as first_day,
    max(date_day) as last_day
from spine
having count(*) <> 30
    or count(distinct date_day) <> 30
    or min(date_day) <> cast('2024-02-01' as date)
    or max(date_day) <> cast('2024-03-01' as date)
