"""k-diffusion's `sampling` module for the fixture scripts, loaded without the package's
`__init__` (which imports torchvision models and CLIP, not installed here): torchvision is
stubbed, `k_diffusion.utils` and `k_diffusion.sampling` are loaded from the installed files."""
import importlib.metadata
import importlib.util
import os
import sys
import types


def load():
    """Returns (k_diffusion.sampling, the installed k-diffusion version)."""
    def stub(name, **attrs):
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module
        return module
    functional = stub("torchvision.transforms.functional")
    stub("torchvision", transforms=stub("torchvision.transforms", functional=functional))
    base = os.path.dirname(importlib.util.find_spec("k_diffusion").origin)
    package = stub("k_diffusion")
    package.__path__ = [base]
    for name in ("utils", "sampling"):
        spec = importlib.util.spec_from_file_location("k_diffusion." + name, os.path.join(base, name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["k_diffusion." + name] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)
    return sys.modules["k_diffusion.sampling"], importlib.metadata.version("k-diffusion")
