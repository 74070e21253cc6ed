{#- The countries a run rebuilds, every country when none are given: the var `countries` (a list, or a
    comma-separated string) on the dbt command line, else the environment variable MNR_COUNTRIES (comma-separated),
    which is how the pipeline passes them. Read when the model runs, never while dbt parses (`execute` is false
    then): dbt re-parses a file whose parse read an environment variable that has since changed, and discards its
    whole parse cache when a --vars value changes, so a run for another country than the last keeps the cache. -#}
{% macro country_filter(col) -%}
    {%- set countries = var('countries', env_var('MNR_COUNTRIES', '')) if execute else '' -%}
    {%- if countries is string -%}{%- set countries = countries.split(',') | reject('equalto', '') | list -%}{%- endif -%}
    {%- if countries | length == 0 -%}
        1 = 1
    {%- else -%}
        {{ col }} in ({% for c in countries %}'{{ c | replace("'", "") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
