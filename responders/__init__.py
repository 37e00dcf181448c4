"""Composing and sending the bot's mail: acknowledgements and the outbox."""
