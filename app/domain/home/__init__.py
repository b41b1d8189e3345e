"""The home page: where a visitor or a signed-in person starts."""
