"""Data: toy 1D / 2D distributions, image datasets (torchvision, folders, zips), image pairs,
and the points a user brings to the 2D lab."""
