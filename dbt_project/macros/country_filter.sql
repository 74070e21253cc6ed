{#- The countries a run rebuilds, every country when none are given: the var `countries` (a list, or a
    comma-separated string) on the dbt command line, else the environment variable MNR_COUNTRIES (comma-separated),
    which is how the pipeline passes them. dbt discards its parse cache when a --vars value changes but re-parses
    only the files that read a changed environment variable, so each run keeps the cache. -#}
{% macro country_filter(col) -%}
    {%- set countries = var('countries', env_var('MNR_COUNTRIES', '')) -%}
    {%- if countries is string -%}{%- set countries = countries.split(',') | reject('equalto', '') | list -%}{%- endif -%}
    {%- if countries | length == 0 -%}
        1 = 1
    {%- else -%}
        {{ col }} in ({% for c in countries %}'{{ c | replace("'", "") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
