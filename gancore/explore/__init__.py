"""Exploring a trained GAN: the labs' probes, latent interpolation and walks, inversion."""
