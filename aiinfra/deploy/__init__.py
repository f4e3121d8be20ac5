"""Real deployments through Pulumi's Automation API and the Pulumi CLI.

One Pulumi stack per environment (the spec's `name`) in project `aiinfra`, running an inline
program that builds `Environment(spec.name, env)`. State goes to a local file backend in the
user's data directory unless a backend URL is given; secrets use the passphrase provider.
Nothing here prints: callers get results and `DeployError`s carrying the exact commands that fix them.

Import each name from the module that defines it (operations.up, target.target, errors.DeployError, ...):
this package re-exports nothing, so the CLI loads only the modules a command uses."""
