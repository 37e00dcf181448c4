"""Reading a message: automated or human, French or English, and which rights it asks for."""

from intake_bot.classifiers.automated import AutomatedVerdict, screen_automated
from intake_bot.classifiers.language import LanguageGuess, detect_language, message_language
from intake_bot.classifiers.requests import LABELS, Classification, classify_request

__all__ = [
    "LABELS",
    "AutomatedVerdict",
    "Classification",
    "LanguageGuess",
    "classify_request",
    "detect_language",
    "message_language",
    "screen_automated",
]
