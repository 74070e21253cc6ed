{{ config(tags=['release']) }}
-- Progress over time of each country's own capability coverage: how many of the 21 capabilities have data
-- each year and the change since the country's previous year. Countries are never ranked against each other.
with per_year as (
    select
        ref_area,
        time_period,
        sum(case when has_data then 1 else 0 end) as capabilities_with_data,
        count(*) as capabilities_total
    from {{ ref('fct_capability_coverage') }}
    group by ref_area, time_period
)

select
    ref_area,
    time_period,
    capabilities_with_data,
    capabilities_total,
    capabilities_with_data - lag(capabilities_with_data) over (
        partition by ref_area order by time_period
    ) as change_since_previous_year
from per_year
