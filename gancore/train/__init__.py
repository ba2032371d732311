"""Training: the Trainer and its config, losses, stabilizers, the pix2pix trainer, runs from a
preset to a checkpoint folder, and data-parallel training under torchrun."""
