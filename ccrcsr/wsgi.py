import os

from django.core.wsgi import get_wsgi_application

from ccrcsr.config import exit_on_bad_config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
exit_on_bad_config()
application = get_wsgi_application()
