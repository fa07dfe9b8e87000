"""A private CA and a server certificate for the simulator, generated with `cryptography`.

Files in the state dir: ca.pem (give it to clients as the CA bundle), ca-key.pem,
server.pem, server-key.pem. They are reused when present and still valid for the
requested host names; otherwise regenerated.

`flaw` (the CLI's --tls-flaw) serves a deliberately bad server certificate, signed by the same CA, for tests of
certificate refusal: `expired` (valid until yesterday) or `wrong-name` (issued for vcenter.invalid only, so the
address clients use does not match). Those go to server-<flaw>.pem / server-<flaw>-key.pem, minted every start.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _names(extra: str | None) -> list[str]:
    names = ["127.0.0.1", "localhost"]
    if extra and extra not in names and extra not in ("0.0.0.0", "::"):
        names.append(extra)
    return names


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.write_bytes(data)
    if private:
        os.chmod(path, 0o600)


def _valid(cert_path: Path, names: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
    now = dt.datetime.now(dt.UTC)
    return set(names) <= have and cert.not_valid_after_utc > now + dt.timedelta(days=1)


FLAWS = ("expired", "wrong-name")


def ensure(state_dir: str | Path, host: str | None = None, flaw: str | None = None) -> tuple[str, str, str]:
    """Create (or reuse) the CA and server certificate; returns (ca.pem, server.pem, server-key.pem)."""
    if flaw is not None and flaw not in FLAWS:
        raise ValueError(f"unknown certificate flaw {flaw!r}; expected one of {FLAWS}")
    d = Path(state_dir)
    d.mkdir(parents=True, exist_ok=True)
    ca_pem, ca_key = d / "ca.pem", d / "ca-key.pem"
    srv_pem, srv_key = d / "server.pem", d / "server-key.pem"
    if flaw:
        srv_pem, srv_key = d / f"server-{flaw}.pem", d / f"server-{flaw}-key.pem"
    names = _names(host) if flaw != "wrong-name" else ["vcenter.invalid"]
    if flaw is None and all(p.is_file() for p in (ca_pem, ca_key, srv_pem, srv_key)) and _valid(srv_pem, names):
        return str(ca_pem), str(srv_pem), str(srv_key)
    now = dt.datetime.now(dt.UTC)
    if ca_pem.is_file() and ca_key.is_file():
        ca_cert = x509.load_pem_x509_certificate(ca_pem.read_bytes())
        key = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        ca_private = key
    else:
        ca_private = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vlcmsim CA"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vsphere.lifecycle simulator")])
        ca_cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(ca_private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_private.public_key()), critical=False)
                   .sign(ca_private, hashes.SHA256()))
        _write(ca_key, ca_private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()), private=True)
        _write(ca_pem, ca_cert.public_bytes(serialization.Encoding.PEM))
    srv_private = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[-1])]))
            .issuer_name(ca_cert.subject).public_key(srv_private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30) if flaw == "expired" else now - dt.timedelta(minutes=5))
            .not_valid_after(now - dt.timedelta(days=1) if flaw == "expired" else now + dt.timedelta(days=825))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_private.public_key()),
                           critical=False)
            .sign(ca_private, hashes.SHA256()))
    _write(srv_key, srv_private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()), private=True)
    _write(srv_pem, cert.public_bytes(serialization.Encoding.PEM))
    return str(ca_pem), str(srv_pem), str(srv_key)
