"""The signing key kept beside the scheme: the secret every form's identity is signed with.

Only ``init`` makes a key (``create_key``, mode 0600). Every other command loads it, and says
what to do when it is missing or damaged instead of quietly making a new one: forms signed
with a lost key can only be checked with that key.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from ..core.problems import CannotRun
from ..edge.files import write_private

KEY_FILE = "xlflag.key"


class KeyProblem(CannotRun):
    """The key is missing or is not a key."""


def key_path(scheme_path: Path) -> Path:
    return Path(scheme_path).parent / KEY_FILE


def create_key(scheme_path: Path) -> Path:
    """A new key beside the scheme, readable by its owner only; an existing key is kept."""
    path = key_path(scheme_path)
    try:
        write_private(path, secrets.token_hex(32) + "\n")
    except FileExistsError:
        pass
    return path


def load_key(scheme_path: Path) -> bytes:
    path = key_path(scheme_path)
    folder = Path(scheme_path).parent
    if not path.is_file():
        raise KeyProblem(
            f"找不到签名密钥{path}。如果测评表已经发出，请找回当时方案旁的xlflag.key放回“{folder}”，"
            f"否则回收的测评表无法校验；只有尚未发出任何测评表时，才可运行“xlflag init {folder}”生成新密钥。")
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (UnicodeDecodeError, ValueError, OSError):
        key = b""
    if len(key) < 16:
        raise KeyProblem(f"签名密钥{path}已损坏（应为一行十六进制字符）。请从备份中找回发放测评表时的xlflag.key。")
    return key
