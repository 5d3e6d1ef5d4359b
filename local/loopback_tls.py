"""Emulator stand-in: HTTPS on loopback, so the pipeline's code only ever talks https.

AWS and Slack serve https with public certificates; the emulator's loopback servers (the Slack
inbox here, the tests' webhook and CloudFormation response stubs) serve https too, with a
certificate for 127.0.0.1 / ::1 / localhost issued at start-up by a throwaway CA (P-256 keys,
valid one day, in a temporary directory removed at exit). ``trusted_environment()`` is what the
process sets so that this CA is trusted: ``SSL_CERT_FILE`` names a bundle of the system's CAs
plus this one (Python's default SSL context, made anew for every urllib connection, reads it),
and ``NO_PROXY`` keeps loopback off any proxy the developer's environment names. Nothing in the
pipeline's code knows about any of this: it verifies the certificate like any other.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import socket
from typing import Any, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class _Files:
    ca_bundle: Path  # the system's CAs + the throwaway CA: what SSL_CERT_FILE names
    certificate: Path  # the loopback server's certificate, then the CA's
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@cache
def _files() -> _Files:
    """Issue the CA and the loopback certificate once per process."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # keyCertSign, cRLSign
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("secure-finetune emulator loopback CA"))
        .issuer_name(_name("secure-finetune emulator loopback CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in LOOPBACK_NAMES if address != "localhost"]
    server_usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)  # digitalSignature
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(server_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="finetune-loopback-tls-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    system = ssl.get_default_verify_paths().cafile  # honours an SSL_CERT_FILE set before this one
    files = _Files(folder / "ca-bundle.pem", folder / "loopback.pem", folder / "loopback.key")
    files.ca_bundle.write_bytes((Path(system).read_bytes() + b"\n" if system else b"") + ca_pem)
    files.certificate.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca_pem)
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files.key.chmod(0o600)
    return files


def trusted_environment() -> dict[str, str]:
    """The variables that make this process trust the loopback servers (set them in os.environ)."""
    bypass = ",".join(filter(None, (os.environ.get("no_proxy") or os.environ.get("NO_PROXY"), *LOOPBACK_NAMES)))
    return {"SSL_CERT_FILE": str(_files().ca_bundle), "NO_PROXY": bypass, "no_proxy": bypass}


class LoopbackHTTPSServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) that speaks TLS with the loopback certificate."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        files = _files()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(files.certificate, files.key)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the request's own thread, never in the accepting loop.
        assert isinstance(request, socket)
        try:
            connection = self._tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust the certificate: it sees the failure itself
        with connection:
            super().finish_request(connection, client_address)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
