"""WSGI entry point (gunicorn alertsite.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alertsite.settings")

application = get_wsgi_application()
