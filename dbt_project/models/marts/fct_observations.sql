{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where {{ country_filter('ref_area') }}{% endif %}"
) }}
-- The harmonised observations of every processed submission, before the quality gate (DESIGN.md section 4).
-- Only cells whose every code is known and whose value is a number (or a recognised "no value") reach it;
-- a run rebuilds just the countries it was given (var countries). The first cell of a key in a file wins
-- (row_number in a subquery rather than DuckDB's qualify, so that the model runs on Postgres too).
with candidates as (
    select
        ref_area,
        time_period,
        indicator_code,
        mnr_domain,
        mnr_capability,
        sex,
        age,
        offence,
        obs_value,
        unit_measure,
        obs_status,
        obs_conf,
        submission_id,
        source_ref,
        comment,
        row_number() over (
            partition by submission_id, ref_area, time_period, indicator_code, sex, age, offence
            order by file_row, source_ref
        ) as key_rank
    from {{ ref('int_observations_mapped') }}
    where {{ country_filter('country') }}
        and ref_area = country
        and out_of_scope is null
        and time_period is not null
        and indicator_code is not null
        and sex is not null and age is not null and offence is not null and obs_status is not null
        and obs_conf is not null
        and (obs_value is not null or value_state = 'missing')
)

select
    ref_area,
    time_period,
    indicator_code,
    mnr_domain,
    mnr_capability,
    sex,
    age,
    offence,
    obs_value,
    unit_measure,
    obs_status,
    obs_conf,
    submission_id,
    source_ref,
    comment
from candidates
where key_rank = 1
