from django import template

from pipelines.feedback import i18n

register = template.Library()


@register.filter
def msg(key: str, lang: str) -> str:
    """A message of pipelines/feedback/messages/ in the page's language: {{ "page.upload"|msg:lang }}."""
    return i18n.catalogue(lang if lang in i18n.LANGUAGES else "en").get(key, key)


@register.filter
def rule_name(rule_id: str, lang: str) -> str:
    return i18n.rule_name(lang if lang in i18n.LANGUAGES else "en", rule_id)
