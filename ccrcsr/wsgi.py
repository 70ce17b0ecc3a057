import os
import sys

from django.core import checks
from django.core.wsgi import get_wsgi_application

from ccrcsr.config import exit_on_bad_config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
exit_on_bad_config()
application = get_wsgi_application()
# gunicorn runs no system checks: refuse here what would be wrong with many processes.
_errors = [e for e in checks.run_checks(tags=[checks.Tags.caches]) if e.is_serious()]
if _errors:
    sys.exit("\n".join(str(e) for e in _errors))
