"""Reference workloads that prove an environment: training, serving and a fabric test."""
