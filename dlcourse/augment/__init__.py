"""Chapter 06: data augmentation, random, label-preserving changes of training images, batched, with an explicit
generator.

``dlcourse.augment.functional`` holds the deterministic operations (``rotate(x, angle)``, ``hflip(x)``,
``translate``, ``zoom``, ``affine``, ``pad``, ``crop``, ``erase``, ``salt_and_pepper``, ``gaussian_noise``); the classes
here draw their parameters at random for every image and are named after ``torchvision.transforms.v2``::

    from dlcourse import augment as A
    augment = A.Compose([A.RandomRotation(10), A.RandomAffine(0, translate=(0.1, 0.1))])
    x_aug = augment(x, rng)          # x: (N, C, H, W) floats; rng: np.random.Generator
"""

from . import functional
from .samples import load_sample_photo
from .transforms import (
    Compose,
    Cutout,
    GaussianNoise,
    RandomAffine,
    RandomApply,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    SaltAndPepperNoise,
    Transform,
)

__all__ = [
    "Compose",
    "Cutout",
    "GaussianNoise",
    "RandomAffine",
    "RandomApply",
    "RandomCrop",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomVerticalFlip",
    "SaltAndPepperNoise",
    "Transform",
    "functional",
    "load_sample_photo",
]
