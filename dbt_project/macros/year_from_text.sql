{#- The year in a text cell ("2022", " 2022.0 "), as an integer; null for anything else. -#}
{% macro year_from_text(col) -%}
    {{ return(adapter.dispatch('year_from_text')(col)) }}
{%- endmacro %}

{% macro default__year_from_text(col) -%}
try_cast(regexp_extract({{ col }}, '^\s*((19|20)\d\d)(\.0+)?\s*$', 1) as integer)
{%- endmacro %}

{#- substring(... from pattern) returns the first parenthesised group, null when the pattern does not match;
    the group is four digits, so the cast cannot fail. -#}
{% macro postgres__year_from_text(col) -%}
cast(substring({{ col }} from '^\s*((19|20)\d\d)(\.0+)?\s*$') as integer)
{%- endmacro %}
