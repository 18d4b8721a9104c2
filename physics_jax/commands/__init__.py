"""`phymotion` subcommands beyond `score`: each module defines `register(subparsers)`."""
