"""Chapter 13: deployment: saving models safely, and what the chapter's service and notebook use."""

from .serialize import file_sha256, load_metadata, load_model_into, load_state_dict, save_model, save_state_dict

__all__ = ["file_sha256", "load_metadata", "load_model_into", "load_state_dict", "save_model", "save_state_dict"]
