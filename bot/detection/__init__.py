"""Claim detection: pure functions and a spaCy rule pipeline, no Slack or database imports."""

from bot.detection.detector import Detector
from bot.detection.model import Detection

__all__ = ["Detection", "Detector"]
