"""aiinfra: AI infrastructure on AWS, GCP and Azure as code, on Pulumi."""

from pathlib import Path as _Path

__version__ = "0.1.0"

# The design layout keeps components/ and cli/ beside this folder; an install maps them to
# aiinfra.components and aiinfra.cli. Run from a source checkout, find them beside it too.
_checkout = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).parent / "components").is_dir() and (_checkout / "components" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821
