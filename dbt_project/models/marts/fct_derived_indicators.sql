{{ config(tags=['release']) }}
-- Derived indicators from the current published values (unsuppressed; restricted until a release applies
-- disclosure control): rates per 100,000 children and justice-funnel ratios. Standard SQL only, so that the
-- model runs on DuckDB and Postgres alike.
with obs as (
    select * from {{ ref('fct_current_observations') }}
),

-- The child population: the country's own CTX_CHILD_POP where it gave one, else the seed's figure.
country_pop as (
    select ref_area, time_period, sex, obs_value, 'CTX_CHILD_POP from ' || submission_id as source
    from obs
    where indicator_code = 'CTX_CHILD_POP' and age in ('Y0T17', '_T') and offence in ('_T', '_Z')
        and obs_value > 0
),

seed_pop as (
    select ref_area, time_period, sex, obs_value, 'seeds/child_population.csv: ' || source as source
    from {{ ref('child_population') }}
),

denominators as (
    select
        coalesce(c.ref_area, s.ref_area) as ref_area,
        coalesce(c.time_period, s.time_period) as time_period,
        coalesce(c.sex, s.sex) as sex,
        coalesce(c.obs_value, s.obs_value) as obs_value,
        coalesce(c.source, s.source) as source
    from country_pop c
    full outer join seed_pop s
        on s.ref_area = c.ref_area and s.time_period = c.time_period and s.sex = c.sex
),

-- Counts about children, over the whole child population (age under 18 or all ages given as one figure).
rate_numerators as (
    select o.*
    from obs o
    join {{ ref('indicators') }} i on i.indicator_code = o.indicator_code
    where (i.is_child_person_count or o.indicator_code = 'CJ_OFFENCES_RECORDED')
        and o.sex in ('F', 'M', '_T') and o.age in ('Y0T17', '_T', '_Z')
        and o.obs_value is not null
),

rates as (
    select
        n.ref_area,
        n.time_period,
        n.indicator_code || '_PER_100K' as indicator_code,
        i.indicator_name || ' per 100,000 children' as indicator_name,
        n.mnr_domain,
        n.mnr_capability,
        n.sex,
        n.age,
        n.offence,
        n.obs_value * 100000 / d.obs_value as obs_value,
        'RATE_100000' as unit_measure,
        n.obs_status,
        n.indicator_code as numerator_code,
        n.obs_value as numerator_value,
        'CTX_CHILD_POP' as denominator_code,
        d.obs_value as denominator_value,
        d.source as denominator_source
    from rate_numerators n
    join {{ ref('indicators') }} i on i.indicator_code = n.indicator_code
    join denominators d on d.ref_area = n.ref_area and d.time_period = n.time_period and d.sex = n.sex
    where d.obs_value > 0
),

-- Justice funnel: each FUNNEL_* relation of the catalogue (e.g. convictions per 100 prosecutions).
funnel as (
    select
        l.ref_area,
        l.time_period,
        replace(r.rule_id, '_LE_', '_PER_') as indicator_code,
        li.indicator_name || ' per 100 of: ' || hi.indicator_name as indicator_name,
        l.mnr_domain,
        l.mnr_capability,
        l.sex,
        l.age,
        l.offence,
        l.obs_value * 100 / h.obs_value as obs_value,
        'PCNT' as unit_measure,
        case when h.obs_status = 'A' then l.obs_status else h.obs_status end as obs_status,
        l.indicator_code as numerator_code,
        l.obs_value as numerator_value,
        h.indicator_code as denominator_code,
        h.obs_value as denominator_value,
        h.indicator_code || ' from ' || h.submission_id as denominator_source
    from {{ ref('indicator_relations') }} r
    join obs l on l.indicator_code = r.lhs_indicator
    join {{ ref('indicators') }} li on li.indicator_code = r.lhs_indicator
    join {{ ref('indicators') }} hi on hi.indicator_code = r.rhs_indicator
    join obs h on h.indicator_code = r.rhs_indicator
        and h.ref_area = l.ref_area and h.time_period = l.time_period
        and h.sex = l.sex and h.age = l.age and h.offence = l.offence
    where r.rule_id like 'FUNNEL%' and l.obs_value is not null and h.obs_value > 0
)

select * from rates
union all
select * from funnel
