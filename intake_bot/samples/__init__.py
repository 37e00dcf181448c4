"""Sample requests bundled for `intake-bot demo`."""
