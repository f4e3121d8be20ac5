"""`cloud: existing`: a Kubernetes cluster aiinfra did not create. No cloud resources: the profile, the snapshot
reader (the catalog), discovery and an environment that installs the platform on the cluster as it is."""
