"""The AWS CLI (awscli from PyPI) as a subprocess, optionally with a skewed clock or a body
changed after signing: `python tests/aws_cli.py connect get-current-metric-data ...`.

SKEW_SECONDS moves the clock botocore signs with; TAMPER_BODY=OLD=>NEW replaces OLD by NEW
(same length) in the body after it was signed. Everything else is the CLI's own code.
"""

import os
import sys
from datetime import timedelta
from typing import Any

import botocore.auth
from awscli.clidriver import create_clidriver


def main() -> int:
    skew = float(os.environ.get("SKEW_SECONDS", "0"))
    if skew:
        real = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *a, **k: real(*a, **k) + timedelta(seconds=skew)
    driver = create_clidriver()
    tamper = os.environ.get("TAMPER_BODY")
    if tamper:
        old, new = (part.encode() for part in tamper.split("=>"))

        def change_body(request: Any, **_: Any) -> None:
            request.body = request.body.replace(old, new)

        driver.session.register("before-send.connect", change_body)
    return int(driver.main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
