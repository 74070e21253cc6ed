{#- A label as it is matched against aliases: accents, case, punctuation and spacing ignored.
    pipelines/reference.py normalise_label() is the same rule in Python; a unit test holds them together. -#}
{% macro norm_label(col) -%}
    {{ return(adapter.dispatch('norm_label')(col)) }}
{%- endmacro %}

{% macro default__norm_label(col) -%}
trim(regexp_replace(replace(regexp_replace(strip_accents(lower({{ col }})), '[\x{064B}-\x{065F}\x{0670}\x{0640}]', '', 'g'), '%', ' percent '), '[^0-9a-z\x{0600}-\x{06FF}]+', ' ', 'g'))
{%- endmacro %}
