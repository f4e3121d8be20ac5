"""The aiinfra command line (typer)."""
