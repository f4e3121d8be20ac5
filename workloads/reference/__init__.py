"""The reference workload: a small GPT trained with torchrun, served over HTTP, and an all-reduce fabric test."""
