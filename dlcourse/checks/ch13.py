"""Chapter 13's exercise checks."""

from __future__ import annotations

from .exercise import Exercise

EXERCISES: tuple[Exercise, ...] = ()
