"""Benchmarks behind `mirage bench ...`: they print numbers; targets are checked by reading them."""
