"""Generators and discriminators: MLPs for toy data, DCGAN for images."""
