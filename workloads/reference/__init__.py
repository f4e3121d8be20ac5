"""Reference workload: a byte-level decoder-only transformer, trained with DDP under torchrun and
served over HTTP from the checkpoints it writes to object storage. torch is imported by the
modules that need it, never here."""
