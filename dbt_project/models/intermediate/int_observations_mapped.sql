-- Every raw cell with its labels mapped to codes. Unmapped labels stay null here; the quality rules
-- (pipelines/quality/rules.py) report them with the row and column the country sees.
-- A country's own labels (aliases with its ISO3) win over the shared ones.
{%- set dims = ['ref_area', 'indicator', 'sex', 'age', 'offence', 'unit', 'obs_status'] %}
with obs as (
    select * from {{ ref('stg_landing__observations') }}
),
aliases as (
    select * from {{ ref('int_aliases_normalised') }}
),
mapped as (
    select
        obs.*,
        {%- for d in dims %}
        coalesce(own_{{ d }}.code, shared_{{ d }}.code) as {{ d }}_code{{ "," if not loop.last }}
        {%- endfor %}
    from obs
    {%- for d in dims %}
    left join aliases own_{{ d }}
        on own_{{ d }}.kind = '{{ d }}' and own_{{ d }}.alias_key = obs.{{ d }}_key and own_{{ d }}.country = obs.country
    left join aliases shared_{{ d }}
        on shared_{{ d }}.kind = '{{ d }}' and shared_{{ d }}.alias_key = obs.{{ d }}_key and shared_{{ d }}.country is null
    {%- endfor %}
)
select
    m.submission_id,
    m.country,
    m.sheet,
    m.file_row,
    m.source_ref,
    m.value_column,
    m.ref_area_raw, m.time_period_raw, m.indicator_raw, m.sex_raw, m.age_raw, m.offence_raw,
    m.value_raw, m.unit_raw, m.obs_status_raw, m.comment_raw, m.value_state,
    -- A file without a country column is about the submitting country.
    case when m.ref_area_raw is null then m.country else m.ref_area_code end as ref_area,
    m.time_period,
    m.indicator_code,
    i.mnr_domain,
    i.mnr_capability,
    i.indicator_type,
    i.unit_measure,
    i.disaggregations,
    i.min_value,
    i.max_value,
    -- A breakdown the file does not give is the total, or not applicable where the indicator has none.
    case when m.sex_raw is null then (case when {{ dbt.position("'SEX'", "coalesce(i.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.sex_code end as sex,
    case when m.age_raw is null then (case when {{ dbt.position("'AGE'", "coalesce(i.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.age_code end as age,
    case when m.offence_raw is null then (case when {{ dbt.position("'OFF'", "coalesce(i.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.offence_code end as offence,
    -- ANSI double precision: dbt.type_float() is a 4-byte FLOAT on DuckDB.
    case
        when m.value_state = 'number' then m.value_num
        when m.value_state = 'text' then cast(cat.value as double precision)
    end as obs_value,
    m.unit_code as unit_given,
    case
        when m.obs_status_raw is not null then m.obs_status_code
        when m.value_state = 'missing' then 'O'
        else 'A'
    end as obs_status,
    m.comment_raw as comment
from mapped m
left join {{ ref('indicators') }} i on i.indicator_code = m.indicator_code
left join {{ ref('indicator_categories') }} cat
    on cat.indicator_code = m.indicator_code
    and m.value_key in ({{ norm_label('cat.category_code') }}, {{ norm_label('cat.category_label') }})
