"""Test keys: throwaway RSA pairs, and the PKCS#1 v1.5 SHA-256 signatures both Alipay (RSA2) and WeChat Pay use."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@dataclass(frozen=True)
class RsaKeyPair:
    """An RSA key pair made for one test run; PEM texts as the platform's settings take them."""

    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> RsaKeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @cached_property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @cached_property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def sign(self, message: bytes) -> str:
        """SHA256withRSA, base64: Alipay's RSA2 and WeChat Pay's WECHATPAY2-SHA256-RSA2048."""
        return base64.b64encode(self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_pem: str, signature_b64: str, message: bytes) -> bool:
    """Whether `signature_b64` is the SHA256withRSA signature of `message` by the holder of `public_pem`."""
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True
