{{ config(tags=['release']) }}
-- The values currently published (accepted submissions, latest per key) with their unsuppressed values from
-- fct_observations. Restricted: derived indicators are computed from it, and disclosure control is applied
-- to them when a release is cut (pipelines/publish/release.py), so a rate is suppressed with its numerator.
select
    p.ref_area,
    p.time_period,
    p.indicator_code,
    p.mnr_domain,
    p.mnr_capability,
    p.sex,
    p.age,
    p.offence,
    coalesce(f.obs_value, p.obs_value) as obs_value,
    p.unit_measure,
    coalesce(f.obs_status, p.obs_status) as obs_status,
    p.submission_id
from {{ source('published', 'observations') }} p
left join {{ ref('fct_observations') }} f
    on f.submission_id = p.submission_id
    and f.ref_area = p.ref_area and f.time_period = p.time_period and f.indicator_code = p.indicator_code
    and f.sex = p.sex and f.age = p.age and f.offence = p.offence
join {{ ref('indicators') }} i on i.indicator_code = p.indicator_code
where not i.is_restricted
