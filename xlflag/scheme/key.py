"""The signing key kept beside the scheme: the secret every form's identity is signed with."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "xlflag.key"


def key_path(scheme_path: Path) -> Path:
    return Path(scheme_path).parent / KEY_FILE


def load_or_create_key(scheme_path: Path) -> bytes:
    """The signing key beside the scheme; made once (the office keeps it with the scheme)."""
    path = key_path(scheme_path)
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
        os.replace(tmp, path)
    return load_key(scheme_path)


def load_key(scheme_path: Path) -> bytes:
    return bytes.fromhex(key_path(scheme_path).read_text(encoding="ascii").strip())
