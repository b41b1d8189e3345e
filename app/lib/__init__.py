"""Cross-cutting helpers, each in a module named for what it does."""
