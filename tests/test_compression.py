"""Pages go compressed on the wire; static files keep their hashed names and long cache."""

import gzip
import re

from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.utils import timezone
from whitenoise.compress import Compressor

from .builders import enroll


def test_the_roll_call_page_is_gzipped_when_the_browser_asks(client_of, site):
    for _ in range(32):
        enroll(site.group)
    client = client_of(site.coordinator)
    url = f"/groups/{site.group.pk}/roll-call/{timezone.localdate()}/"
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert site.group.name in html
    assert len(packed.content) < len(plain.content) / 3


def test_json_is_gzipped_too(client_of, site):
    child = enroll(site.group).child
    url = f"/children/{child.pk}/export.json"
    response = client_of(site.hr).get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert child.name in gzip.decompress(response.content).decode()


def test_static_files_keep_hashed_names_and_a_long_cache(tmp_path, settings, db):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Compressing the admin's files and the vendored source maps is most of the
    # work (half a minute) and not what is checked here.
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
    call_command("collectstatic", "--no-input", "--ignore", "admin", verbosity=0)
    url = static("css/app.css")
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", url)
    response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    assert response["Content-Encoding"] == "gzip"  # the pre-compressed copy
