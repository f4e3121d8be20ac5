"""aiinfra: AI infrastructure on AWS, GCP and Azure as code, on Pulumi."""

__version__ = "0.1.0"
