"""intake-bot: privacy-request intake for small organisations."""

__version__ = "0.1.0"
