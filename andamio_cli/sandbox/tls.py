"""A throw-away CA and a server certificate for `andamio sandbox --tls`.

The CA's private key lives only in memory; its certificate is written where the user can
point SSL_CERT_FILE at it. A new CA is made each time the sandbox starts.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

CA_NAME = "Andamio sandbox throw-away CA"


def _names(host: str) -> list:
    from cryptography import x509

    names: list = [x509.DNSName("localhost")]
    addresses = {"127.0.0.1", "::1"}
    try:
        addresses.add(str(ipaddress.ip_address(host)))
    except ValueError:
        if host and host != "localhost":
            names.append(x509.DNSName(host))
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(addresses)]
    return names


def make_server_context(host: str, ca_file: str) -> ssl.SSLContext:
    """Write a new CA certificate to `ca_file`; return a server context whose certificate
    that CA signed (valid for localhost, the loopback addresses and `host`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(_names(host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write(ca_file, ca_cert.public_bytes(pem), 0o644)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    chain = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(pem)
    # load_cert_chain wants a file: a private temp file next to the CA, removed at once.
    fd, path = tempfile.mkstemp(prefix=".tls-", dir=os.path.dirname(ca_file) or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(chain)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


def server_context(host: str, state_file: str | None, workdir: str | None):
    """(CA file, server context): the CA next to the state file (NAME-ca.pem), else in the
    workdir (sandbox-ca.pem)."""
    if state_file:
        ca_file = os.path.splitext(os.path.abspath(state_file))[0] + "-ca.pem"
    else:
        ca_file = os.path.join(workdir or ".", "sandbox-ca.pem")
    return ca_file, make_server_context(host, ca_file)


def _write(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
