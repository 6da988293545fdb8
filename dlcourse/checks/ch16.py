"""Checks for chapter 16's exercises (embeddings, tokenisation and a GPT)."""

from __future__ import annotations

from .exercise import Exercise

EXERCISES: tuple[Exercise, ...] = ()
