"""The `phymotion` command line: the physics, pose and generator subcommands under one parser."""
