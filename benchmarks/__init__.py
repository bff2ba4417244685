"""Benchmarks: speed, memory and active-learning evidence for seedselect."""
