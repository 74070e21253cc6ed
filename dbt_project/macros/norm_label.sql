{#- A label as it is matched against aliases: accents, case, punctuation and spacing ignored.
    pipelines/reference.py normalise_label() is the same rule in Python; a unit test holds them together. -#}
{% macro norm_label(col) -%}
    {{ return(adapter.dispatch('norm_label')(col)) }}
{%- endmacro %}

{% macro default__norm_label(col) -%}
trim(regexp_replace(replace(regexp_replace(strip_accents(lower({{ col }})), '[\x{064B}-\x{065F}\x{0670}\x{0640}]', '', 'g'), '%', ' percent '), '[^0-9a-z\x{0600}-\x{06FF}]+', ' ', 'g'))
{%- endmacro %}

{#- Postgres has no strip_accents (the unaccent extension maps letters its own way, e.g. ß to ss): decompose
    (NFD, as normalise_label() and DuckDB's strip_accents do), then drop the combining marks of the scripts the labels use (Latin
    diacritics and their extensions, Arabic harakat and Quranic marks) and the Arabic tatweel. Lower-casing
    after decomposition keeps it independent of the database's ctype. -#}
{% macro postgres__norm_label(col) -%}
trim(regexp_replace(replace(lower(regexp_replace(normalize({{ col }}, NFD), '[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED\u0640]', '', 'g')), '%', ' percent '), '[^0-9a-z\u0600-\u06FF]+', ' ', 'g'))
{%- endmacro %}
