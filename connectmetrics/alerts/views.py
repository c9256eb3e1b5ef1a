"""Acknowledging an alert: POST /alerts/<id>/acknowledge, for signed-in staff.

Answers JSON: {"acknowledged": true, "acknowledged_by": ..., "acknowledged_at": ...} (200,
also when someone had already acknowledged it: the first acknowledgement stands), 403 for
anyone else, 404 for no such alert, 409 when the alert is not open (cleared, or not raised
yet). The supervisor page calls it with its session and CSRF token, and shows its button
to whoever `may_acknowledge`; the screens of the alert's queue filter then show who and when.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from connectmetrics.alerts import on_screens
from connectmetrics.alerts.models import Alert, AlertStatus


def may_acknowledge(user: Any) -> bool:
    """Who may acknowledge alerts: signed-in staff."""
    return bool(user.is_authenticated and user.is_staff)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"acknowledged": False, "error": message}, status=status)


@require_POST
@login_required
def acknowledge(request: HttpRequest, alert_id: int) -> JsonResponse:
    if not may_acknowledge(request.user):
        return _error(403, "Only staff may acknowledge alerts.")
    alert = Alert.objects.filter(pk=alert_id).select_related("rule__threshold").first()
    if alert is None:
        return _error(404, f"There is no alert {alert_id}.")
    on_screens.acknowledge(alert, request.user)
    if alert.acknowledged_at is None:
        state = "has cleared" if alert.status == AlertStatus.CLEARED else "is not raised yet"
        return _error(409, f"The alert {state}: there is nothing to acknowledge.")
    by = alert.acknowledged_by
    return JsonResponse(
        {
            "acknowledged": True,
            "acknowledged_by": by.get_username() if by is not None else None,
            "acknowledged_at": alert.acknowledged_at.isoformat(),
        }
    )
