"""Alert generation (DESIGN §3, §4, §10): the rules, the merge, the locks and the service.

- `rules`: the alert rules of DESIGN §3, as database queries;
- `merge`: the statements that make the active alerts equal the rules' output;
- `events`: the set-based writing of alert events;
- `locks`: one full run at a time, one merge at a time;
- `service`: `generate_alerts` and `refresh_asset_alerts`, the public entry points;
- `faults`: a public seam to make a generation fail at a named stage.
"""

from alerts.generation.locks import GENERATION_LOCK_KEY, WRITE_LOCK_KEY, hold_alerts_write_lock
from alerts.generation.service import (
    GenerationFailed,
    GenerationResult,
    counts_summary,
    generate_alerts,
    refresh_asset_alerts,
)

__all__ = [
    "GENERATION_LOCK_KEY",
    "WRITE_LOCK_KEY",
    "GenerationFailed",
    "GenerationResult",
    "counts_summary",
    "generate_alerts",
    "hold_alerts_write_lock",
    "refresh_asset_alerts",
]
