"""The navigation bar names a user's roles without listing a thousand factories."""

from django.urls import reverse

from factories.models import Membership, Role

from ..builders import FactoryBuilder


def test_a_coordinator_of_many_factories_sees_three_and_a_link_to_the_rest(
    client_of, site, django_assert_max_num_queries
):
    for _ in range(6):
        Membership.objects.create(
            user=site.coordinator, factory=FactoryBuilder(), role=Role.COORDINATOR
        )
    client = client_of(site.coordinator)
    html = client.get(reverse("notifications:account")).content.decode()
    bar = html[html.index('data-testid="current-user"') :]
    bar = bar[: bar.index("</div>")]
    assert bar.count('class="badge') == 4  # three factories and "…"
    assert f'href="{reverse("factories:factory-list")}"' in bar


def test_a_member_of_one_factory_sees_it_named(client_of, site):
    html = client_of(site.hr).get(reverse("notifications:account")).content.decode()
    bar = html[html.index('data-testid="current-user"') :]
    assert site.factory.name_zh in bar[: bar.index("</div>")]
