"""The AWS Regions where botocore knows Amazon Connect."""

from functools import cache

import botocore.session


@cache
def connect_regions() -> tuple[str, ...]:
    return tuple(sorted(botocore.session.get_session().get_available_regions("connect")))
