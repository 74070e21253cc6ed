{#- The countries a run rebuilds (var countries); every country when the list is empty. -#}
{% macro country_filter(col) -%}
    {%- set countries = var('countries', []) -%}
    {%- if countries is string -%}{%- set countries = countries.split(',') -%}{%- endif -%}
    {%- if countries | length == 0 -%}
        1 = 1
    {%- else -%}
        {{ col }} in ({% for c in countries %}'{{ c | replace("'", "") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
