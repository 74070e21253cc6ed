{{ config(materialized='table', tags=['reference']) }}
-- Built with the reference data (seeds), not on every run: it depends on the seeds and the norm_label macro only.
-- Every label a file may use, keyed for matching: the alias seed plus each code list's own codes.
with labels as (
    select kind, alias, code, nullif(country, '') as country from {{ ref('aliases') }}
    union all select kind, alias, code, country from {{ ref('country_aliases') }}
    union all select 'sex', code, code, null from {{ ref('cl_sex') }}
    union all select 'sex', label, code, null from {{ ref('cl_sex') }}
    union all select 'age', code, code, null from {{ ref('cl_age') }}
    union all select 'age', label, code, null from {{ ref('cl_age') }}
    union all select 'offence', code, code, null from {{ ref('cl_offence') }}
    union all select 'offence', label, code, null from {{ ref('cl_offence') }}
    union all select 'obs_status', code, code, null from {{ ref('cl_obs_status') }}
    union all select 'obs_status', label, code, null from {{ ref('cl_obs_status') }}
    union all select 'obs_conf', code, code, null from {{ ref('cl_obs_conf') }}
    union all select 'obs_conf', label, code, null from {{ ref('cl_obs_conf') }}
    union all select 'unit', code, code, null from {{ ref('cl_unit_measure') }}
    union all select 'ref_area', ref_area, ref_area, null from {{ ref('ref_areas') }}
    union all select 'ref_area', iso2, ref_area, null from {{ ref('ref_areas') }}
    union all select 'ref_area', name, ref_area, null from {{ ref('ref_areas') }}
    union all select 'indicator', indicator_code, indicator_code, null from {{ ref('indicators') }}
    union all select 'indicator', indicator_name, indicator_code, null from {{ ref('indicators') }}
),
keyed as (
    select kind, {{ norm_label('alias') }} as alias_key, code, country from labels
)
-- One code per (kind, key, country): the seed's own rows come first, then the code lists.
select kind, alias_key, min(code) as code, country
from keyed
where alias_key <> ''
group by kind, alias_key, country
