{{ config(tags=['release']) }}
-- Which of the 21 MNR capabilities have published data, per country and year. Restricted indicators (the
-- maturity self-assessment) never count. A suppressed value still counts as data for its capability.
with years as (
    select distinct ref_area, time_period from {{ ref('fct_current_observations') }}
),

covered as (
    select ref_area, time_period, mnr_capability, count(distinct indicator_code) as indicators_with_data
    from {{ ref('fct_current_observations') }}
    where obs_value is not null or obs_status = 'Q'
    group by ref_area, time_period, mnr_capability
)

select
    y.ref_area,
    y.time_period,
    c.capability as mnr_capability,
    c.capability_name,
    c.domain_code as mnr_domain,
    coalesce(v.indicators_with_data, 0) > 0 as has_data,
    coalesce(v.indicators_with_data, 0) as indicators_with_data
from years y
cross join {{ ref('mnr_capabilities') }} c
left join covered v
    on v.ref_area = y.ref_area and v.time_period = y.time_period and v.mnr_capability = c.capability
