"""Acknowledging an alert: POST /alerts/<id>/acknowledge, for signed-in staff.

Answers JSON: {"acknowledged": true, "acknowledged_by": ..., "acknowledged_at": ...} (200,
also when someone had already acknowledged it: the first acknowledgement stands), 403 for
anyone else, 404 for no such alert, 409 when the alert is not open (cleared, or not raised
yet). The supervisor page calls it with its session and CSRF token.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from connectmetrics.alerts.models import Alert, AlertStatus


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"acknowledged": False, "error": message}, status=status)


@require_POST
@login_required
def acknowledge(request: HttpRequest, alert_id: int) -> JsonResponse:
    if not request.user.is_staff:
        return _error(403, "Only staff may acknowledge alerts.")
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return _error(404, f"There is no alert {alert_id}.")
    alert.acknowledge(request.user)
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
