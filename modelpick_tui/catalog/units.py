"""Parameter counts as people write them ("1.2B", "20.9B (3.6B active)"): what every table and report shows. A
module of its own: the browse table's first page formats its rows without importing the catalogue's facts."""

from __future__ import annotations


def format_params(params: int | None) -> str:
    """1234567890 → '1.2B'; 270000000 → '270M'; None → '?'."""
    if not params:
        return "?"
    if params >= 1e12:
        return f"{params / 1e12:.1f}T"
    if params >= 1e9:
        value = params / 1e9
        return f"{value:.0f}B" if value >= 100 else f"{value:.1f}B"
    if params >= 1e6:
        return f"{params / 1e6:.0f}M"
    return f"{params / 1e3:.0f}K"


def format_params_with_active(params: int | None, active: int | None) -> str:
    """'20.9B (3.6B active)' for a mixture of experts, '8.0B' for a dense model, '?' when unknown."""
    text = format_params(params)
    return f"{text} ({format_params(active)} active)" if params and active else text
