"""Checks for chapter 15's exercises (modern convolutional networks and transfer learning)."""

from __future__ import annotations

from .exercise import Exercise

EXERCISES: tuple[Exercise, ...] = ()
