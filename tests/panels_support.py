"""The wallboard admin's form data with its inline panels, for tests that post it."""

from typing import Any

from dashboard.models import Wallboard

# The inline's prefix: Panel.wallboard's related name.
PANELS = "panels"


def panel_forms(wallboard: Wallboard, *added: dict[str, Any]) -> dict[str, Any]:
    """The panels inline as the admin's change page posts it: the wallboard's panels
    unchanged, then `added` (each a panel's fields: queue_filter, columns, layout ...)."""
    panels = list(wallboard.panels.all()) if wallboard.pk else []
    data: dict[str, Any] = {
        f"{PANELS}-TOTAL_FORMS": str(len(panels) + len(added)),
        f"{PANELS}-INITIAL_FORMS": str(len(panels)),
        f"{PANELS}-MIN_NUM_FORMS": "1",
        f"{PANELS}-MAX_NUM_FORMS": "1000",
    }
    for at, panel in enumerate(panels):
        data.update(
            {
                f"{PANELS}-{at}-id": str(panel.pk),
                f"{PANELS}-{at}-wallboard": str(wallboard.pk),
                f"{PANELS}-{at}-position": str(panel.position),
                f"{PANELS}-{at}-title": panel.title,
                f"{PANELS}-{at}-queue_filter": str(panel.queue_filter_id),
                f"{PANELS}-{at}-layout": panel.layout,
                f"{PANELS}-{at}-columns": list(panel.columns),
            }
        )
    for at, fields in enumerate(added, start=len(panels)):
        data.update(
            {
                f"{PANELS}-{at}-position": str(fields.get("position", at)),
                f"{PANELS}-{at}-title": fields.get("title", ""),
                f"{PANELS}-{at}-queue_filter": str(fields["queue_filter"]),
                f"{PANELS}-{at}-layout": fields.get("layout", "tiles"),
                f"{PANELS}-{at}-columns": list(fields["columns"]),
            }
        )
    return data
