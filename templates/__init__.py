"""FR/EN message templates (Jinja2), shipped as package data of intake_bot.templates."""
