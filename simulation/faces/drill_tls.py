"""A self-signed certificate for the training room's LAN (局域网自签名证书), made with ``cryptography``.

The drill folder keeps it in ``DIR/.tls/`` (``cert.pem``; ``key.pem`` readable by its owner only). It is
made once and made again when it expires within a day or does not name an address the server is asked to
answer on. Players' browsers warn about a self-signed certificate: the facilitator reads its SHA-256
fingerprint aloud (printed at start), and players compare it with the one their browser shows.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from pathlib import Path

VALID_DAYS = 30
WILDCARDS = ("", "0.0.0.0", "::")


def names_for(host: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The names and addresses the certificate should cover for a server bound to ``host``."""
    names = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *extra]
    if host in WILDCARDS:
        try:
            names += [ai[4][0] for ai in socket.getaddrinfo(socket.gethostname(), None)]
        except OSError:  # no resolvable host name: the operator names the LAN address with --tls-name
            pass
    else:
        names.append(host)
    return sorted({n.split("%")[0] for n in names if n})


def _san(names: list[str]) -> list:
    from cryptography import x509

    out = []
    for n in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            out.append(x509.DNSName(n))
    return out


def _covers(cert_path: Path, names: list[str]) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        have = set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    fresh = cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=1)
    return fresh and set(_san(names)) <= have


def fingerprint(cert_path: Path) -> str:
    """SHA-256 fingerprint as browsers show it (AA:BB:…)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    fp = x509.load_pem_x509_certificate(cert_path.read_bytes()).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in fp)


def ensure_certificate(folder: str | Path, names: list[str]) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in ``folder/.tls``: the existing pair if it still fits, else a new one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d = Path(folder) / ".tls"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    if key_path.is_file() and _covers(cert_path, names):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Linkage drill (self-signed)"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Linkage 联动")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_san(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    tmp = key_path.with_name(".key.pem.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem_key)
    tmp.replace(key_path)
    cert_tmp = cert_path.with_name(".cert.pem.tmp")
    cert_tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    cert_tmp.replace(cert_path)
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx
