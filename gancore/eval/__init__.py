"""Judging samples: toy metrics (modes, high quality, grid divergences), image metrics by
gancore's own classifiers, Stacked MNIST's modes, and Inception FID / KID / IS."""
