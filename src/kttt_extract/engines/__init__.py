"""Engines that run a batch's documents beyond the local worker pool (batch_pool.py)."""
