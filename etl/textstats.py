"""Counting words in text, whatever its script."""

from __future__ import annotations


def count_words(text: str) -> int:
    """Words in `text`: whitespace-separated tokens."""
    return len(text.split())
