-- Every raw cell with its labels mapped to codes. Unmapped labels stay null here; the quality rules
-- (pipelines/quality/rules.py) report them with the row and column the country sees.
-- Codes read at ingest (raw.codes: the file's mapping, and the readers of pipelines/ingest/codes.py for age bands,
-- ICCS and M49 codes, SDMX and Eurostat codes and flags) come first, then a country's own labels (aliases with its
-- ISO3), then the shared ones. A year written as a span of two years comes from raw.codes too.
-- out_of_scope says why a cell is left out rather than published or checked: another country's row, an area
-- aggregate, a rate per inhabitants, an adult age band on an indicator about children, or a code the mapping
-- leaves out. Such cells are counted in one finding (rules.left_out), never reported one by one.
{%- set dims = ['ref_area', 'indicator', 'sex', 'age', 'offence', 'unit', 'obs_status', 'obs_conf'] %}
with obs as (
    select * from {{ ref('stg_landing__observations') }}
),
aliases as (
    select * from {{ ref('int_aliases_normalised') }}
),
codes as (
    select * from {{ source('landing', 'codes') }}
),
mapped as (
    select
        obs.*,
        {%- for d in dims %}
        case when sub_{{ d }}.field is not null then sub_{{ d }}.code
             else coalesce(own_{{ d }}.code, shared_{{ d }}.code) end as {{ d }}_code,
        sub_{{ d }}.scope as {{ d }}_scope,
        {%- endfor %}
        sub_age.age_lower as age_lower_read,
        sub_age.age_upper as age_upper_read,
        flag.code as flag_status,
        flag_conf.code as flag_conf,
        -- A span of two years (2018/19) is read as the year it ends (pipelines/ingest/codes.py, year_span).
        coalesce(cast(span.code as integer), obs.time_period) as time_period_read
    from obs
    {%- for d in dims %}
    left join codes sub_{{ d }}
        on sub_{{ d }}.submission_id = obs.submission_id and sub_{{ d }}.field = '{{ d }}'
        and sub_{{ d }}.value_raw = obs.{{ d }}_raw
    left join aliases own_{{ d }}
        on own_{{ d }}.kind = '{{ d }}' and own_{{ d }}.alias_key = obs.{{ d }}_key and own_{{ d }}.country = obs.country
    left join aliases shared_{{ d }}
        on shared_{{ d }}.kind = '{{ d }}' and shared_{{ d }}.alias_key = obs.{{ d }}_key and shared_{{ d }}.country is null
    {%- endfor %}
    left join codes flag
        on flag.submission_id = obs.submission_id and flag.field = 'obs_flag' and flag.value_raw = obs.obs_flag_raw
    left join codes flag_conf
        on flag_conf.submission_id = obs.submission_id and flag_conf.field = 'obs_flag_conf'
        and flag_conf.value_raw = obs.obs_flag_raw
    left join codes span
        on span.submission_id = obs.submission_id and span.field = 'time_period' and span.value_raw = obs.time_period_raw
),
judged as (
    select
        m.*,
        i.indicator_code as catalogue_code,
        i.mnr_domain, i.mnr_capability, i.indicator_type, i.unit_measure, i.disaggregations, i.min_value, i.max_value,
        ca.code as age_listed,
        coalesce(m.age_lower_read, ca.age_lower) as age_lower,
        coalesce(m.age_upper_read, ca.age_upper) as age_upper,
        -- An indicator broken down by age is about children unless seeds/indicator_age_scope.csv says otherwise.
        ({{ dbt.position("'AGE'", "coalesce(i.disaggregations, '')") }} > 0
            and coalesce(sc.age_scope, 'child') = 'child') as is_child_indicator
    from mapped m
    left join {{ ref('indicators') }} i on i.indicator_code = m.indicator_code
    left join {{ ref('cl_age') }} ca on ca.code = m.age_code
    left join {{ ref('indicator_age_scope') }} sc on sc.indicator_code = m.indicator_code
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
    m.obs_flag_raw as obs_flag,
    m.obs_conf_raw,
    case
        when m.ref_area_scope is not null then m.ref_area_scope
        when m.ref_area_raw is not null and m.ref_area_code is not null and m.ref_area_code <> m.country
            then 'OTHER_COUNTRY'
        when m.unit_scope is not null then m.unit_scope
        when m.is_child_indicator and m.age_lower is not null and (m.age_upper is null or m.age_upper > 17)
            then 'ADULT_AGE'
        else coalesce(m.indicator_scope, m.sex_scope, m.age_scope, m.offence_scope)
    end as out_of_scope,
    -- A file without a country column is about the submitting country.
    case when m.ref_area_raw is null then m.country else m.ref_area_code end as ref_area,
    m.time_period_read as time_period,
    m.indicator_code,
    m.mnr_domain,
    m.mnr_capability,
    m.indicator_type,
    m.unit_measure,
    m.disaggregations,
    m.min_value,
    m.max_value,
    -- A breakdown the file does not give is the total, or not applicable where the indicator has none.
    case when m.sex_raw is null then (case when {{ dbt.position("'SEX'", "coalesce(m.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.sex_code end as sex,
    -- A band read from the file's own form is a code only where the code list has it (every band of childhood is
    -- there; an adult band on an indicator about children is out of scope above).
    case when m.age_raw is null then (case when {{ dbt.position("'AGE'", "coalesce(m.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.age_listed end as age,
    case when m.offence_raw is null then (case when {{ dbt.position("'OFF'", "coalesce(m.disaggregations, '')") }} > 0 then '_T' else '_Z' end)
         else m.offence_code end as offence,
    -- ANSI double precision: dbt.type_float() is a 4-byte FLOAT on DuckDB.
    case
        when m.value_state = 'number' then m.value_num
        when m.value_state = 'text' then cast(cat.value as double precision)
    end as obs_value,
    m.unit_code as unit_given,
    case
        when m.obs_status_raw is not null then m.obs_status_code
        when m.obs_flag_raw is not null then m.flag_status
        -- No value because the file keeps it confidential (CONF_STATUS C without a value): suppressed, not missing.
        when m.value_state = 'missing' and m.obs_conf_raw is not null and m.obs_conf_code <> 'F' then 'Q'
        when m.value_state = 'missing' then 'O'
        else 'A'
    end as obs_status,
    -- SDMX CL_CONF_STATUS as the file gives it (CONF_STATUS, or a Eurostat flag c); F (free) otherwise.
    case
        when m.obs_conf_raw is not null then m.obs_conf_code
        when m.flag_conf is not null then m.flag_conf
        else 'F'
    end as obs_conf,
    m.comment_raw as comment
from judged m
left join {{ ref('indicator_categories') }} cat
    on cat.indicator_code = m.indicator_code
    and m.value_key in ({{ norm_label('cat.category_code') }}, {{ norm_label('cat.category_label') }})
