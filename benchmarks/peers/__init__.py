"""Peer servers the benchmarks measure liveevent against."""
