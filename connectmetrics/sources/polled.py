"""What every source's model holds for the poller: its switch, its key and how its polls went.

The poller status, "Poll now" and the admin read these fields (`poller_status.PolledRecord`);
each kind's model (the queue filter, the agent source) inherits them from here.
"""

from typing import ClassVar

from django.db import models

from connectmetrics.sources.key import SourceKey


class PolledSource(models.Model):
    enabled = models.BooleanField(default=True)

    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_message = models.TextField(blank=True, editable=False)

    # Its kind of source: the poller's name for it, the first part of its SourceKey.
    SOURCE_KIND: ClassVar[str]

    class Meta:
        abstract = True

    @classmethod
    def source_key_of(cls, source_id: int) -> SourceKey:
        return SourceKey(cls.SOURCE_KIND, source_id)

    @property
    def source_key(self) -> SourceKey:
        return self.source_key_of(self.pk)
