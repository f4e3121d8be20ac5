"""What the offline commands report about an environment: the preview's JSON and its fixed costs."""
