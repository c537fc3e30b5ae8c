"""andamio-cli: manage API keys and developer credentials for the Andamio gateway."""

# Kept as a literal (read by the build backend) so `--version` needs no importlib.metadata.
__version__ = "0.1.0"
