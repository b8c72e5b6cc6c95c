"""Tools and a reward for tasks/city_density.yaml: facts about a few cities, from a table
(offline, so the example runs anywhere), and a scorer that reads the agent's trajectory."""

from __future__ import annotations

from typing import Any

from evalrun.tools import ToolError

#: population and area (km²) of each city proper
CITIES: dict[str, dict[str, float]] = {
    "paris": {"population": 2_102_650, "area_km2": 105.4},
    "tokyo": {"population": 9_733_276, "area_km2": 627.6},
    "berlin": {"population": 3_755_251, "area_km2": 891.1},
    "madrid": {"population": 3_332_035, "area_km2": 604.3},
    "rome": {"population": 2_748_109, "area_km2": 1_287.4},
}


def city_facts(city: str) -> dict[str, float]:
    """Look up a city's population and its area in square kilometres.

    Args:
        city: the city's English name, e.g. "Paris".
    """
    found = CITIES.get(city.strip().lower())
    if found is None:
        known = ", ".join(name.title() for name in CITIES)
        raise ToolError(f"no city named {city!r}; the cities known are {known}")
    return found


def efficiency(state: Any, targets: list[str]) -> dict[str, Any]:
    """A reward for getting there directly: 1 for an answer in 3 turns (look up, compute,
    submit), less for each extra turn, 0 without a submitted answer."""
    trajectory = state.trajectory
    if trajectory is None or trajectory.answer is None:
        return {"value": 0.0, "explanation": "no answer submitted"}
    extra = max(0, trajectory.turns - 3)
    errors = trajectory.tool_errors
    return {
        "value": max(0.0, 1.0 - 0.25 * extra),
        "explanation": f"{trajectory.turns} turns, {len(trajectory.calls())} tool calls, {errors} failed",
    }
