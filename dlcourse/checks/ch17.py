"""Checks for chapter 17's exercises (diffusion models)."""

from __future__ import annotations

from .exercise import Exercise

EXERCISES: tuple[Exercise, ...] = ()
