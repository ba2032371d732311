"""Named presets, one module per kind of run: toy (1D / 2D), image (DCGAN family), pix2pix."""
