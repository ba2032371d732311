"""Community GANs from the Hugging Face Hub, loaded without running their code.

Families: HugGAN DCGAN, lightweight-gan (HugGAN copy and lucidrains' layout), FastGAN.
Each is a generator module written here from the published layer layout (one file each),
chosen by config.json first and key patterns second, loaded with strict=True from weights
read only by a tensors-only loader (``safe_load``) and cached as safetensors.
"""

from gancore.community.families import FAMILIES, SUPPORTED
from gancore.community.load import LoadedCommunity, load_community

# Repos whose demos load them with the class this package transcribes (huggan/dcgan-mnist:
# HugGAN's DCGAN Generator; the butterflies: HugGAN's LightweightGAN). HugGAN's
# fastgan-few-shot-* repos come from another FastGAN class whose key names were not checked,
# so none is suggested.
SUGGESTED_REPOS = ("huggan/dcgan-mnist", "ceyda/butterfly_cropped_uniq1K_512")

__all__ = ["FAMILIES", "SUGGESTED_REPOS", "SUPPORTED", "LoadedCommunity", "load_community"]
