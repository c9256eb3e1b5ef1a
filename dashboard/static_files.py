"""Whether the web server has the static files its pages link to.

With DEBUG off, pages link the hashed names of the manifest that
`collectstatic` writes into STATIC_ROOT, and WhiteNoise serves those files
from there, proxy or not. Without that manifest every page would answer 500,
so the web server refuses to start instead, saying which command to run.
"""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage


def missing_static_files() -> str:
    """Why pages cannot be served, or "" when the collected files are there."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return ""  # DEBUG on: served from the source folders by the finders
    if staticfiles_storage.read_manifest() is not None:
        return ""
    return (
        f"The static files are not collected in STATIC_ROOT ({settings.STATIC_ROOT}): run "
        "`python manage.py collectstatic --noinput` with the server's settings (DEBUG off) "
        "before starting it (the Docker image collects them at build)."
    )
