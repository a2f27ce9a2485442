"""The benchmark suite: `bench/run --help`."""
