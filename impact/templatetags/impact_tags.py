from django import template
from django.utils import translation

from factories.models import Role
from spaces.models import Season

from ..models import Survey

register = template.Library()


@register.simple_tag
def zh(text) -> str:
    """A translatable text in Chinese, whatever the page's language (side-by-side cards)."""
    with translation.override("zh-hans"):
        return str(text)


@register.simple_tag
def en(text) -> str:
    with translation.override("en"):
        return str(text)


@register.inclusion_tag("impact/_survey_offer.html")
def survey_offer(season: Season) -> dict:
    """The survey offered at the end of the application form, when a round is open."""
    return {"season": season, "open": Survey.for_season(season).open_round() is not None}


@register.inclusion_tag("impact/_season_links.html")
def impact_season_links(season: Season, readiness) -> dict:
    """The report card and survey on the season page, for the factory's staff:
    the page computes the readiness checklist for exactly them (no query here)."""
    return {"season": season, "show": readiness is not None}


@register.filter
def get(mapping: dict, key: str):
    """`mapping|get:key`, for the cards' tables keyed by group and round."""
    return mapping.get(key) if mapping else None


@register.inclusion_tag("impact/_programme_link.html", takes_context=True)
def impact_programme_link(context) -> dict:
    """The programme report card, for the coordinators it is made for."""
    from factories.models import Factory

    user = context["request"].user
    return {"show": Factory.objects.for_roles(user, Role.COORDINATOR).exists()}
