"""Static files with hashed names, imports included.

The pages are ES modules that import each other. Without rewriting those
imports, a page reloaded onto a new build would fetch its entry module by its
new hashed name but the modules it imports by their plain names, which
browsers and whitenoise may still hold from the old build.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
