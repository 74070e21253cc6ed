-- The floor of the full-rebuild benchmark: the same work as the pipeline, hand-written as one DuckDB script.
-- It reads the generated files (bench/generate.py: @DATA@/<format>/<ISO3>_<format>.<ext>), standardises them
-- (labels mapped through the seeds' aliases exactly as dbt_project/models/intermediate does), runs the level-1
-- checks (unknown codes, non-numeric values, years, breakdowns, catalogue ranges, duplicate keys), gives each
-- country a verdict and writes published.observations (DESIGN.md section 4) for the countries without errors,
-- with primary suppression of small child person counts. It knows each format's columns in advance, which is
-- what makes it a floor: no header detection, no lineage beyond row numbers, no reports.
-- bench/floor.py substitutes @DATA@, @SEEDS@ and @NORM_LABEL@ and runs it.

-- norm_label: the DuckDB body of dbt_project/macros/norm_label.sql, on x.
create or replace macro norm_label(x) as @NORM_LABEL@;

create schema if not exists reference;
create or replace table reference.indicators as
    select * from read_csv('@SEEDS@/indicators.csv', header = true, all_varchar = true);

-- Every label a file may use (int_aliases_normalised).
create or replace table reference.alias_map as
with labels as (
    select kind, alias, code, nullif(country, '') as country
        from read_csv('@SEEDS@/aliases.csv', header = true, all_varchar = true)
    union all select kind, alias, code, country
        from read_csv('@SEEDS@/country_aliases.csv', header = true, all_varchar = true)
    union all select 'sex', unnest([code, label]), code, null from read_csv('@SEEDS@/cl_sex.csv', all_varchar = true)
    union all select 'age', unnest([code, label]), code, null from read_csv('@SEEDS@/cl_age.csv', all_varchar = true)
    union all select 'offence', unnest([code, label]), code, null from read_csv('@SEEDS@/cl_offence.csv', all_varchar = true)
    union all select 'obs_status', unnest([code, label]), code, null from read_csv('@SEEDS@/cl_obs_status.csv', all_varchar = true)
    union all select 'indicator', unnest([indicator_code, indicator_name]), indicator_code, null from reference.indicators
)
select kind, norm_label(alias) as alias_key, min(code) as code, country
from labels where norm_label(alias) <> ''
group by all;

-- One row per value cell of every file, as text, with its file row.
create or replace table cells as
with long_csv as (
    select filename, indicator, time_period, sex, age, offence, value, obs_status, comment, 'value' as value_column,
           false as decimal_comma
    from read_csv('@DATA@/long/*.csv', header = true, all_varchar = true, filename = true, union_by_name = true)
),
semicolon_csv as (
    select filename, "Indicateur" as indicator, "Année" as time_period, "Sexe" as sex, "Âge" as age,
           "Infraction" as offence, "Valeur" as value, null as obs_status, "Commentaire" as comment,
           'Valeur' as value_column, true as decimal_comma
    from read_csv('@DATA@/semicolon/*.csv', delim = ';', header = true, all_varchar = true, filename = true,
                  union_by_name = true)
),
wide_raw as (
    -- Empty cells kept as '' (not null), so that the unpivot keeps them as "no value" cells like the pipeline.
    select * from read_csv('@DATA@/wide/*.csv', header = true, all_varchar = true, filename = true,
                           union_by_name = true, nullstr = '\N')
),
wide_csv as (
    select filename, "Indicator" as indicator, time_period, "Sex" as sex, "Age" as age, "Offence" as offence,
           value, null as obs_status, null as comment, time_period as value_column, false as decimal_comma
    from (unpivot wide_raw on columns('^\d{4}$') into name time_period value value)
),
json_records as (
    select filename, indicador as indicator, ano as time_period, sexo as sex, idade as age,
           "tipo de crime" as offence, valor as value, null as obs_status, null as comment, 'valor' as value_column,
           false as decimal_comma
    from read_json('@DATA@/json/*.json', format = 'array', filename = true,
                   columns = {indicador: 'varchar', ano: 'varchar', sexo: 'varchar', idade: 'varchar',
                              "tipo de crime": 'varchar', valor: 'varchar'})
),
all_cells as (
    select * from long_csv union all by name select * from semicolon_csv
    union all by name select * from wide_csv union all by name select * from json_records
)
select regexp_extract(filename, '([A-Z]{3})_[a-z]+[^/]*$', 1) as country,
       filename,
       row_number() over (partition by filename) + 1 as file_row,
       nullif(trim(indicator), '') as indicator_raw, nullif(trim(time_period), '') as time_period_raw,
       nullif(trim(sex), '') as sex_raw, nullif(trim(age), '') as age_raw, nullif(trim(offence), '') as offence_raw,
       nullif(trim(obs_status), '') as obs_status_raw, nullif(trim(comment), '') as comment_raw,
       value as value_raw, value_column,
       case when value is null or trim(value) in ('', '..', '-', 'n/a', 'NaN', '#N/A') then 'missing'
            when try_cast(case when decimal_comma then replace(replace(value, ' ', ''), ',', '.')
                               else value end as double) is not null then 'number'
            else 'text' end as value_state,
       try_cast(case when decimal_comma then replace(replace(value, ' ', ''), ',', '.') else value end as double)
           as value_num
from all_cells;

-- Labels mapped to codes (int_observations_mapped): a country's own labels win over the shared ones.
create or replace table mapped as
with keyed as (
    select *, norm_label(indicator_raw) as indicator_key, norm_label(sex_raw) as sex_key,
           norm_label(age_raw) as age_key, norm_label(offence_raw) as offence_key,
           norm_label(obs_status_raw) as obs_status_key,
           try_cast(regexp_extract(time_period_raw, '^\s*((19|20)\d\d)(\.0+)?\s*$', 1) as integer) as time_period
    from cells
),
codes as (
    select k.*,
           coalesce(oi.code, si.code) as indicator_code, coalesce(os.code, ss.code) as sex_code,
           coalesce(oa.code, sa.code) as age_code, coalesce(oo.code, so.code) as offence_code,
           st.code as obs_status_code
    from keyed k
    left join reference.alias_map oi on oi.kind = 'indicator' and oi.alias_key = k.indicator_key and oi.country = k.country
    left join reference.alias_map si on si.kind = 'indicator' and si.alias_key = k.indicator_key and si.country is null
    left join reference.alias_map os on os.kind = 'sex' and os.alias_key = k.sex_key and os.country = k.country
    left join reference.alias_map ss on ss.kind = 'sex' and ss.alias_key = k.sex_key and ss.country is null
    left join reference.alias_map oa on oa.kind = 'age' and oa.alias_key = k.age_key and oa.country = k.country
    left join reference.alias_map sa on sa.kind = 'age' and sa.alias_key = k.age_key and sa.country is null
    left join reference.alias_map oo on oo.kind = 'offence' and oo.alias_key = k.offence_key and oo.country = k.country
    left join reference.alias_map so on so.kind = 'offence' and so.alias_key = k.offence_key and so.country is null
    left join reference.alias_map st on st.kind = 'obs_status' and st.alias_key = k.obs_status_key and st.country is null
)
select c.*, i.mnr_domain, i.mnr_capability::integer as mnr_capability, i.unit_measure, i.disaggregations,
       i.min_value::double as min_value, i.max_value::double as max_value,
       i.is_child_person_count = 'true' as is_child_person_count,
       case when sex_raw is null then (case when contains(coalesce(i.disaggregations, ''), 'SEX') then '_T' else '_Z' end)
            else sex_code end as sex,
       case when age_raw is null then (case when contains(coalesce(i.disaggregations, ''), 'AGE') then '_T' else '_Z' end)
            else age_code end as age,
       case when offence_raw is null then (case when contains(coalesce(i.disaggregations, ''), 'OFF') then '_T' else '_Z' end)
            else offence_code end as offence,
       case when obs_status_raw is not null then obs_status_code when value_state = 'missing' then 'O' else 'A' end
           as obs_status
from codes c left join reference.indicators i on i.indicator_code = c.indicator_code;

-- Level-1 checks: one row per failing cell.
create or replace table findings as
select country, file_row, value_column, rule_id from (
    select *, case
        when indicator_raw is not null and indicator_code is null then 'UNKNOWN_INDICATOR'
        when sex_raw is not null and sex_code is null then 'UNKNOWN_SEX'
        when age_raw is not null and age_code is null then 'UNKNOWN_AGE'
        when offence_raw is not null and offence_code is null then 'UNKNOWN_OFFENCE'
        when obs_status is null then 'UNKNOWN_OBS_STATUS'
        when indicator_raw is null and value_state <> 'missing' then 'MISSING_INDICATOR'
        when time_period is null or time_period < 1990 or time_period > year(current_date) then 'BAD_YEAR'
        when value_state = 'text' then 'NON_NUMERIC_VALUE'
        when sex not in ('_T', '_Z') and not contains(coalesce(disaggregations, ''), 'SEX') then 'BREAKDOWN_NOT_ALLOWED_SEX'
        when age not in ('_T', '_Z') and not contains(coalesce(disaggregations, ''), 'AGE') then 'BREAKDOWN_NOT_ALLOWED_AGE'
        when offence not in ('_T', '_Z') and not contains(coalesce(disaggregations, ''), 'OFF') then 'BREAKDOWN_NOT_ALLOWED_OFFENCE'
        when value_num < min_value or value_num > max_value then 'OUT_OF_RANGE'
    end as rule_id
    from mapped
) where rule_id is not null
union all
select country, file_row, value_column, 'DUPLICATE_KEY' from mapped
where indicator_code is not null and time_period is not null
qualify count(*) over (partition by country, time_period, indicator_code, sex, age, offence) > 1
    and row_number() over (partition by country, time_period, indicator_code, sex, age, offence order by file_row) > 1
    and min(value_num) over (partition by country, time_period, indicator_code, sex, age, offence)
        is distinct from max(value_num) over (partition by country, time_period, indicator_code, sex, age, offence);

create or replace table verdicts as
select country, case when count(f.rule_id) > 0 then 'rejected' else 'accepted' end as verdict, count(f.rule_id) as errors
from (select distinct country from cells) c left join findings f using (country)
group by all;

-- The published table: accepted countries only, one value per key, small child person counts suppressed.
create schema if not exists published;
create or replace table published.observations as
select country as ref_area, time_period, indicator_code, mnr_domain, mnr_capability, sex, age, offence,
       case when suppressed then null else value_num end as obs_value,
       unit_measure,
       case when suppressed then 'Q' else obs_status end as obs_status,
       case when suppressed then 'C' else 'F' end as obs_conf,
       country || '-floor' as submission_id,
       'row ' || file_row || ', column ' || value_column as source_ref,
       comment_raw as comment
from (select *, is_child_person_count and value_num between 1 and 4 as suppressed from mapped)
where country in (select country from verdicts where verdict = 'accepted')
  and (value_num is not null or value_state = 'missing')
qualify row_number() over (partition by country, time_period, indicator_code, sex, age, offence order by file_row) = 1;
